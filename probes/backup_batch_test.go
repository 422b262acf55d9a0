package probes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Tests of the backups check across several specs: batching, failures of
// the exec itself, cleaning of remote text and the check's summary.

func TestCheckBackupsOneListingOneVerifyExec(t *testing.T) {
	gib := int64(1 << 30)
	f := newFakeBackupRemote(t)
	weekly := hosts.Backup{Name: "weekly", Path: "/srv/weekly/*.img", MaxAge: 8 * 24 * time.Hour, Verify: "qemu-img"}
	f.list("/srv/backups/*.qcow2", bf(n1, 31*time.Hour, 2*gib))
	f.list("/srv/weekly/*.img", bf("/srv/weekly/w.img", 2*24*time.Hour, gib))
	f.sha(n1, shaOut(n1, hashA, ptr(hashA+"\n")))
	f.qemu("/srv/weekly/w.img", fakeBackupAnswer{out: qemuCleanOut})
	res, brs := checkBackups(t.Context(), f.conn(), bkHost(nightly("sha256"), weekly), bkNow)
	if len(f.execs) != 2 {
		t.Fatalf("%d execs, want 2 (one listing batch, one verify batch)", len(f.execs))
	}
	for i, e := range f.execs {
		if _, cmds, ok := remote.UnBatch(e); !ok || len(cmds) != 2 {
			t.Errorf("exec %d is not a batch of 2: %q", i, e)
		}
	}
	if want := "2 backups: 1 CRIT (nightly: 31h old > max 26h)"; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
	wantDetails := "nightly: CRIT 31h old > max 26h | " + n1 + ", 31h old, 2 GiB, 1 file, verify ok\n" +
		"weekly: OK newest 48h old, 1 GiB | /srv/weekly/w.img, 48h old, 1 GiB, 1 file, verify ok"
	if res.Details != wantDetails {
		t.Errorf("details:\n%s\nwant:\n%s", res.Details, wantDetails)
	}
	if res.Status != CRIT || brs[1].Status != OK || brs[1].Newest != "/srv/weekly/w.img" || brs[1].Age != 48*time.Hour {
		t.Errorf("got %v and %+v", res.Status, brs[1])
	}
}

func TestCheckBackupsMissingToolInBatch(t *testing.T) {
	gib := int64(1 << 30)
	f := newFakeBackupRemote(t)
	specs := []hosts.Backup{nightly("sha256"), withName(withPath(nightly("sha256"), "/srv/b/*"), "b"),
		withName(withPath(nightly("qemu-img"), "/srv/c/*"), "c")}
	f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, gib))
	f.list("/srv/b/*", bf("/srv/b/x", time.Hour, gib))
	f.list("/srv/c/*", bf("/srv/c/y", time.Hour, gib))
	f.sha(n1, noToolSh)
	f.sha("/srv/b/x", noToolSh)
	f.qemu("/srv/c/y", fakeBackupAnswer{out: qemuCleanOut})
	res, brs := checkBackups(t.Context(), f.conn(), bkHost(specs...), bkNow)
	// The sha256 job's "exit 0" ends the batch: the other sha256 job is
	// known to lack the tool too; the qemu-img job is run alone.
	if len(f.execs) != 3 {
		t.Errorf("%d execs, want 3", len(f.execs))
	}
	checkSpec(t, brs[0], wantSpec{UNKNOWN, "sha256sum not installed", backupVerifyToolMissing})
	checkSpec(t, brs[1], wantSpec{UNKNOWN, "sha256sum not installed", backupVerifyToolMissing})
	checkSpec(t, brs[2], wantSpec{OK, "newest 1h old", BackupVerifyOK})
	if want := "3 backups: 2 UNKNOWN (nightly: sha256sum not installed on the host; b: sha256sum not installed on the host)"; res.Summary != want {
		t.Errorf("summary %q, want %q", res.Summary, want)
	}
}

func TestCheckBackupsExecFailures(t *testing.T) {
	boom := errors.New("ssh: session closed")
	tests := []struct {
		name    string
		setup   func(f *fakeBackupRemote)
		host    func(h *hosts.Host)
		summary string
	}{
		{"exec error", func(f *fakeBackupRemote) { f.err = boom }, nil,
			"backup listing unreadable: backups exec: ssh: session closed"},
		{"hung host", func(f *fakeBackupRemote) { f.hang = true },
			func(h *hosts.Host) { h.ProbeTimeout = 20 * time.Millisecond },
			"backup listing unreadable: no answer before the deadline"},
		{"truncated listing", func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, 1<<30), bf(n0, 25*time.Hour, 1<<30))
			f.truncAt = 30
		}, nil, "backup listing unreadable: unparseable backup output: listing output truncated by the transport"},
		{"garbage listing", func(f *fakeBackupRemote) {
			cmd, _ := remote.BackupListCommand("/srv/backups/*.qcow2")
			f.answers[cmd] = fakeBackupAnswer{out: "total 0\n"}
		}, nil, "backup listing line 1: want \"MTIME SIZE PATH\""},
		{"stray path in listing", func(f *fakeBackupRemote) {
			f.list("/srv/backups/*.qcow2", bf("/etc/passwd", time.Hour, 1<<30))
		}, nil, "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeBackupRemote(t)
			tc.setup(f)
			h := bkHost(nightly("sha256"))
			if tc.host != nil {
				tc.host(&h)
			}
			res, brs := checkBackups(t.Context(), f.conn(), h, bkNow)
			checkSpec(t, brs[0], wantSpec{UNKNOWN, tc.summary, backupVerifySkipped})
			if res.Status != UNKNOWN || res.Err == "" || brs[0].Err == "" {
				t.Errorf("result %v err %q / %q, want UNKNOWN with the error", res.Status, res.Err, brs[0].Err)
			}
			if len(f.execs) != 1 {
				t.Errorf("%d execs, want 1: no verification without a listing", len(f.execs))
			}
		})
	}
}

func TestCheckBackupsVerifyExecFails(t *testing.T) {
	f := newFakeBackupRemote(t)
	f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, 1<<30))
	f.sha(n1, shaOut(n1, hashA, ptr(hashA+"\n")))
	rem, calls := f.conn(), 0
	rem.ExecFn = func(ctx context.Context, cmd string) (ExecResult, error) {
		if calls++; calls == 2 {
			return ExecResult{}, errors.New("link down")
		}
		return f.exec(ctx, cmd)
	}
	_, brs := checkBackups(t.Context(), rem, bkHost(nightly("sha256")), bkNow)
	checkSpec(t, brs[0], wantSpec{UNKNOWN, "sha256 verify: backups exec: link down", backupVerifyFailed})
	if brs[0].Newest != n1 || brs[0].Count != 1 {
		t.Errorf("listing facts lost: %+v", brs[0])
	}
}

func TestCheckBackupsSpecProblems(t *testing.T) {
	t.Run("no specs", func(t *testing.T) {
		f := newFakeBackupRemote(t)
		res, brs := checkBackups(t.Context(), f.conn(), bkHost(), bkNow)
		if res.Status != UNKNOWN || res.Summary != "no backup specs configured" || brs != nil || len(f.execs) != 0 {
			t.Errorf("got %+v %v after %d execs", res, brs, len(f.execs))
		}
	})
	t.Run("invalid glob and unknown verify method", func(t *testing.T) {
		f := newFakeBackupRemote(t)
		f.list("/srv/backups/*.qcow2", bf(n1, time.Hour, 1<<30))
		bad := withName(withPath(nightly("none"), "/srv/$(reboot)/*"), "bad")
		odd := nightly("md5")
		res, brs := checkBackups(t.Context(), f.conn(), bkHost(bad, odd), bkNow)
		checkSpec(t, brs[0], wantSpec{UNKNOWN, "not allowed in a remote command", backupVerifySkipped})
		checkSpec(t, brs[1], wantSpec{UNKNOWN, "unknown verify method \"md5\"", backupVerifyFailed})
		if res.Status != UNKNOWN || len(f.execs) != 1 {
			t.Errorf("status %v after %d execs", res.Status, len(f.execs))
		}
	})
}

func TestCheckBackupsCleansRemoteText(t *testing.T) {
	evil := "/srv/backups/\x1b]0;pwned\x07vm\u202e.qcow2"
	f := newFakeBackupRemote(t)
	f.list("/srv/backups/*.qcow2", bf(evil, time.Hour, 1<<30))
	// The raw path reaches the builder, which quotes it.
	f.sha(evil, fakeBackupAnswer{out: "--no-sidecar--\n", stderr: "sha256sum: " + evil + ": \x1b[31mI/O error\n"})
	res, brs := checkBackups(t.Context(), f.conn(), bkHost(nightly("sha256")), bkNow)
	if brs[0].Newest != "/srv/backups/vm.qcow2" {
		t.Errorf("Newest %q, want the cleaned path", brs[0].Newest)
	}
	for _, s := range []string{res.Summary, res.Details, res.Err, brs[0].Summary, brs[0].Err} {
		if strings.ContainsAny(s, "\x1b\x07\u202e") {
			t.Errorf("control characters survived: %q", s)
		}
	}
	checkSpec(t, brs[0], wantSpec{UNKNOWN, "I/O error", backupVerifyFailed})
}
