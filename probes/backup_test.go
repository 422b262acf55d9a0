package probes

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// fakeBackupAnswer is what the fake host prints for one exact command.
type fakeBackupAnswer struct {
	out, stderr string
	exit        int
	// exitsShell marks a command that runs "exit" (the builders' missing-tool
	// branch): in a batch it ends the whole script, as sh does.
	exitsShell bool
}

// fakeBackupRemote is a host that answers the exact command strings of
// hosts/remote, framing batches the way sh runs a remote.Batch script: an
// output without a final newline gets the end marker glued to its last
// line. conn is the Conn that reaches it.
type fakeBackupRemote struct {
	t       testing.TB
	answers map[string]fakeBackupAnswer
	err     error // every Exec fails with it
	hang    bool  // every Exec waits for its context
	truncAt int   // > 0: stdout is cut to this many bytes
	execs   []string
}

func newFakeBackupRemote(t testing.TB) *fakeBackupRemote {
	return &fakeBackupRemote{t: t, answers: map[string]fakeBackupAnswer{}}
}

func (f *fakeBackupRemote) conn() *stubConn {
	return &stubConn{ExecFn: f.exec, Handshake: time.Millisecond, Trip: time.Millisecond}
}

func (f *fakeBackupRemote) exec(ctx context.Context, cmd string) (ExecResult, error) {
	f.execs = append(f.execs, cmd)
	if _, ok := ctx.Deadline(); !ok {
		f.t.Errorf("exec without a deadline: %q", cmd)
	}
	switch {
	case f.hang:
		<-ctx.Done()
		return ExecResult{}, fmt.Errorf("fake exec: %w", ctx.Err())
	case f.err != nil:
		return ExecResult{}, f.err
	}
	var out, errs strings.Builder
	code := 0
	if boundary, parts, ok := remote.UnBatch(cmd); ok {
		for i, p := range parts {
			a := f.answer(p)
			fmt.Fprintf(&out, "@@hv:%s:%d\n%s", boundary, i, a.out)
			errs.WriteString(a.stderr)
			if a.exitsShell {
				break
			}
			fmt.Fprintf(&out, "@@hv:%s:%d:%d\n", boundary, i, a.exit)
		}
	} else {
		a := f.answer(cmd)
		out.WriteString(a.out)
		errs.WriteString(a.stderr)
		code = a.exit
	}
	res := ExecResult{Stdout: []byte(out.String()), Stderr: []byte(errs.String()), ExitCode: code}
	if f.truncAt > 0 && len(res.Stdout) > f.truncAt {
		res.Stdout, res.Truncated = res.Stdout[:f.truncAt], true
	}
	return res, nil
}

func (f *fakeBackupRemote) answer(cmd string) fakeBackupAnswer {
	a, ok := f.answers[cmd]
	if !ok {
		f.t.Errorf("unexpected command %q", cmd)
		return fakeBackupAnswer{stderr: "sh: 1: not found\n", exit: 127}
	}
	return a
}

// list makes the host answer glob's listing with files.
func (f *fakeBackupRemote) list(glob string, files ...remote.BackupFile) {
	cmd, err := remote.BackupListCommand(glob)
	if err != nil {
		f.t.Fatal(err)
	}
	var b strings.Builder
	for _, fl := range files {
		fmt.Fprintf(&b, "%d %d %s\n", fl.MTime.Unix(), fl.Size, fl.Path)
	}
	f.answers[cmd] = fakeBackupAnswer{out: b.String()}
}

// sha makes the host answer SHA256VerifyCommand(file) with out.
func (f *fakeBackupRemote) sha(file string, a fakeBackupAnswer) {
	cmd, err := remote.SHA256VerifyCommand(file, bkVerifyLimit)
	if err != nil {
		f.t.Fatal(err)
	}
	f.answers[cmd] = a
}

// qemu makes the host answer QemuImgCheckCommand(file) with a.
func (f *fakeBackupRemote) qemu(file string, a fakeBackupAnswer) {
	cmd, err := remote.QemuImgCheckCommand(file, bkVerifyLimit)
	if err != nil {
		f.t.Fatal(err)
	}
	f.answers[cmd] = a
}

var (
	bkNow    = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	hashA    = strings.Repeat("ab", 32)
	hashB    = strings.Repeat("cd", 32)
	noToolSh = fakeBackupAnswer{out: "--no-tool--\n", exitsShell: true}
)

// bf is a backup file age old and size bytes big.
func bf(path string, age time.Duration, size int64) remote.BackupFile {
	return remote.BackupFile{Path: path, MTime: bkNow.Add(-age), Size: size}
}

// shaOut is the verify script's stdout for a file hashing to sum with a
// sidecar holding sidecar (nil: no sidecar).
func shaOut(file, sum string, sidecar *string) fakeBackupAnswer {
	out := sum + "  " + file + "\n"
	if sidecar == nil {
		return fakeBackupAnswer{out: out + "--no-sidecar--\n"}
	}
	return fakeBackupAnswer{out: out + "--sidecar--\n" + remote.HexDump([]byte(*sidecar))}
}

func ptr(s string) *string { return &s }

const qemuCleanOut = "No errors were found on the image.\n" +
	"29491/32768 = 90.00% allocated, 1.50% fragmented, 0.00% compressed clusters\nImage end offset: 1933000704\n"

// bkVerifyLimit is the verify commands' time limit on bkHost: its backup
// interval.
const bkVerifyLimit = 15 * time.Minute

func bkHost(specs ...hosts.Backup) hosts.Host {
	return hosts.Host{Name: "kvm-01", ProbeTimeout: 5 * time.Second, BackupInterval: 15 * time.Minute,
		Checks: []string{hosts.CheckBackups}, Backups: specs}
}

func nightly(verify string) hosts.Backup {
	return hosts.Backup{Name: "nightly", Path: "/srv/backups/*.qcow2", MaxAge: 26 * time.Hour,
		MinSize: 1 << 30, Verify: verify}
}

const (
	n1 = "/srv/backups/vm-2025-03-10.qcow2"
	n0 = "/srv/backups/vm-2025-03-09.qcow2"
)

// wantSpec is the expected outcome of one spec.
type wantSpec struct {
	status  Status
	summary string // a substring of the spec's Summary
	verify  string
}

func TestCheckBackupsRules(t *testing.T) {
	gib := int64(1 << 30)
	tests := []struct {
		name  string
		spec  hosts.Backup
		setup func(f *fakeBackupRemote)
		want  wantSpec
		execs int
	}{
		{"fresh", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, 3*time.Hour, 2*gib), bf(n0, 27*time.Hour, 2*gib))
		}, wantSpec{OK, "newest 3h old, 2 GiB", backupVerifySkipped}, 1},
		{"no matching file", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2")
		}, wantSpec{CRIT, "no file matches /srv/backups/*.qcow2", backupVerifySkipped}, 1},
		{"fewer than min_count", withCount(nightly("none"), 3), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib), bf(n0, 25*time.Hour, gib))
		}, wantSpec{CRIT, "only 2 files < min 3", backupVerifySkipped}, 1},
		{"older than max_age", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, 31*time.Hour, gib))
		}, wantSpec{CRIT, "31h old > max 26h", backupVerifySkipped}, 1},
		{"exactly max_age is WARN", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, 26*time.Hour, gib))
		}, wantSpec{WARN, "26h old > 80% of max 26h", backupVerifySkipped}, 1},
		{"older than 80% of max_age", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, 22*time.Hour, gib))
		}, wantSpec{WARN, "22h old > 80% of max 26h", backupVerifySkipped}, 1},
		{"exactly 80% of max_age is OK", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, 26*time.Hour*8/10, gib))
		}, wantSpec{OK, "newest 20h48m old", backupVerifySkipped}, 1},
		{"smaller than min_size", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, 512<<20))
		}, wantSpec{CRIT, "size 512 MiB < min 1 GiB", backupVerifySkipped}, 1},
		{"size dropped 73%", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, 27*gib/10), bf(n0, 25*time.Hour, 10*gib))
		}, wantSpec{WARN, "size dropped 73%", backupVerifySkipped}, 1},
		{"size dropped exactly 50% is OK", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, 2*gib), bf(n0, 25*time.Hour, 4*gib))
		}, wantSpec{OK, "newest 1h old", backupVerifySkipped}, 1},
		{"mtime in the future", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, -5*time.Hour, gib), bf(n0, 40*time.Hour, gib))
		}, wantSpec{WARN, "mtime in the future", backupVerifySkipped}, 1},
		{"newest by mtime, not by listing order", nightly("none"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n0, 30*time.Hour, gib), bf(n1, 2*time.Hour, gib))
		}, wantSpec{OK, "newest 2h old", backupVerifySkipped}, 1},
		{"sha256 ok", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, shaOut(n1, hashA, ptr(hashA+"  vm-2025-03-10.qcow2\n")))
		}, wantSpec{OK, "newest 1h old", BackupVerifyOK}, 2},
		{"sha256 compared case-insensitively", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, shaOut(n1, hashA, ptr(strings.ToUpper(hashA)+"\n")))
		}, wantSpec{OK, "newest 1h old", BackupVerifyOK}, 2},
		{"sidecar without final newline", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, shaOut(n1, hashA, ptr(hashA)))
		}, wantSpec{OK, "newest 1h old", BackupVerifyOK}, 2},
		{"sha256 mismatch", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, shaOut(n1, hashA, ptr(hashB+"  vm-2025-03-10.qcow2\n")))
		}, wantSpec{CRIT, "sha256 mismatch", BackupVerifyMismatch}, 2},
		{"no sidecar is CRIT", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, shaOut(n1, hashA, nil))
		}, wantSpec{CRIT, "no sha256 sidecar", BackupVerifyNoSidecar}, 2},
		{"sidecar without a hash is CRIT", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, shaOut(n1, hashA, ptr("backup ok\n")))
		}, wantSpec{CRIT, "bad sha256 sidecar", BackupVerifyBadSidecar}, 2},
		{"sha256sum missing", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, noToolSh)
		}, wantSpec{UNKNOWN, "sha256sum not installed on the host", backupVerifyToolMissing}, 2},
		{"file unreadable by sha256sum", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, fakeBackupAnswer{out: "--no-sidecar--\n", stderr: "sha256sum: " + n1 + ": Permission denied\n"})
		}, wantSpec{UNKNOWN, "Permission denied", backupVerifyFailed}, 2},
		{"sidecar unreadable", nightly("sha256"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.sha(n1, fakeBackupAnswer{out: hashA + "  " + n1 + "\n--sidecar--\n", exit: 1,
				stderr: "head: cannot open '" + n1 + ".sha256' for reading: Permission denied\n"})
		}, wantSpec{UNKNOWN, "exited 1 (head: cannot open", backupVerifyFailed}, 2},
		{"qemu-img clean", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, fakeBackupAnswer{out: qemuCleanOut})
		}, wantSpec{OK, "newest 1h old", BackupVerifyOK}, 2},
		{"qemu-img corrupt", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, fakeBackupAnswer{out: "ERROR cluster 5 refcount=0 reference=1\n\n2 errors were found on the image.\n" +
				"Data may be corrupted, or further writes to the image may corrupt it.\n", exit: 2})
		}, wantSpec{CRIT, "qemu-img check: image corrupt (2 errors)", BackupVerifyCorrupt}, 2},
		{"qemu-img leaks are WARN", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, fakeBackupAnswer{out: "Leaked cluster 12 refcount=1 reference=0\n\n1 leaked clusters were found on the image.\n" +
				"This means waste of disk space, but no harm to data.\n", exit: 3})
		}, wantSpec{WARN, "leaked clusters (1 cluster)", backupVerifyLeaks}, 2},
		{"qemu-img check not completed", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, fakeBackupAnswer{stderr: "qemu-img: Could not open '" + n1 + "': Permission denied\n", exit: 1})
		}, wantSpec{UNKNOWN, "check not completed (qemu-img: Could not open", backupVerifyFailed}, 2},
		{"qemu-img format without checks", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, fakeBackupAnswer{stderr: "qemu-img: This image format does not support checks\n", exit: 63})
		}, wantSpec{UNKNOWN, "does not support checks", backupVerifyFailed}, 2},
		{"qemu-img image with an external data file", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, fakeBackupAnswer{out: remote.QemuImgExternalData + "\n"})
		}, wantSpec{UNKNOWN, "names an external data file", backupVerifyFailed}, 2},
		{"qemu-img missing", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, noToolSh)
		}, wantSpec{UNKNOWN, "qemu-img not installed on the host", backupVerifyToolMissing}, 2},
		{"qemu-img garbage", nightly("qemu-img"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
			f.qemu(n1, fakeBackupAnswer{out: "all good, trust me\n"})
		}, wantSpec{UNKNOWN, "qemu-img check: unparseable", backupVerifyFailed}, 2},
		{"sidecars are not backups", withPath(nightly("sha256"), "/srv/backups/*"), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*", bf(n1+".sha256", 0, 100), bf(n1, time.Hour, gib))
			f.sha(n1, shaOut(n1, hashA, ptr(hashA+"\n")))
		}, wantSpec{OK, "newest 1h old", BackupVerifyOK}, 2},
		{"several problems, worst first", withCount(nightly("sha256"), 5), func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, 23*time.Hour, 100<<20))
			f.sha(n1, shaOut(n1, hashA, ptr(hashB+"\n")))
		}, wantSpec{CRIT, "only 1 file < min 5; size 100 MiB < min 1 GiB; sha256 mismatch; 23h old > 80% of max 26h", BackupVerifyMismatch}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeBackupRemote(t)
			tc.setup(f)
			res, brs := checkBackups(t.Context(), f.conn(), bkHost(tc.spec), bkNow)
			if len(brs) != 1 {
				t.Fatalf("got %d backup results, want 1", len(brs))
			}
			checkSpec(t, brs[0], tc.want)
			if res.Status != tc.want.status || res.Check != hosts.CheckBackups || res.Host != "kvm-01" {
				t.Errorf("result %s/%s %v, want kvm-01/backups %v", res.Host, res.Check, res.Status, tc.want.status)
			}
			if len(f.execs) != tc.execs {
				t.Errorf("%d execs, want %d", len(f.execs), tc.execs)
			}
		})
	}
}

func checkSpec(t *testing.T, got BackupResult, want wantSpec) {
	t.Helper()
	if got.Status != want.status || !strings.Contains(got.Summary, want.summary) || got.Verify != want.verify {
		t.Errorf("got %v %q verify %q, want %v containing %q verify %q",
			got.Status, got.Summary, got.Verify, want.status, want.summary, want.verify)
	}
}

func withCount(b hosts.Backup, n int) hosts.Backup   { b.MinCount = n; return b }
func withPath(b hosts.Backup, p string) hosts.Backup { b.Path = p; return b }
func withName(b hosts.Backup, n string) hosts.Backup { b.Name = n; return b }
