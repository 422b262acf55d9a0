package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

const fsizeChildEnv = "HVCONSOLE_ACTIONS_CHILD_FSIZE"

// runFsizeChild runs restarts while RLIMIT_FSIZE cuts audit writes short
// (as a full disk does), in its own process since the limit is process
// wide; SIGXFSZ is ignored so the write fails with EFBIG instead. It exits
// 1 with the reason when the action layer misbehaves.
func runFsizeChild() {
	signal.Ignore(syscall.SIGXFSZ)
	path := os.Getenv(fsizeChildEnv)
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		os.Exit(1)
	}
	log, err := OpenAuditLog(path)
	if err != nil {
		fail("open: %v", err)
	}
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		fail("getrlimit: %v", err)
	}
	// cut lets the file grow by only 40 bytes, less than any record.
	cut := func() {
		fi, err := os.Stat(path)
		if err != nil {
			fail("stat: %v", err)
		}
		lim := syscall.Rlimit{Cur: uint64(fi.Size()) + 40, Max: orig.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			fail("setrlimit: %v", err)
		}
	}
	restore := func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
			fail("setrlimit: %v", err)
		}
	}
	tr := &fakeTransport{}
	r := New(Options{Audit: log, Transport: tr.transport(), LocalUser: "alice",
		Prober: &fakeProber{rounds: map[string]int{}}, VerifyEvery: time.Millisecond})
	ctx := context.Background()

	cut() // the intent is cut short: the restart is refused before it runs
	res := r.Restart(ctx, []hosts.Host{host("a")}, "libvirtd")[0]
	restore()
	if !errors.Is(res.Err, ErrNoAudit) || len(tr.commands()) != 0 {
		fail("intent cut short: err %v, commands %q; want refused with nothing run", res.Err, tr.commands())
	}
	tr.onExec = cut // the outcome is cut short: the result says so
	res = r.Restart(ctx, []hosts.Host{host("b")}, "libvirtd")[0]
	restore()
	if !res.OK() || res.AuditErr == nil || !strings.Contains(res.Summary(), "audit log") {
		fail("outcome cut short: %+v (summary %q); want OK with the audit failure reported", res, res.Summary())
	}
	tr.onExec = nil
	if res := r.Restart(ctx, []hosts.Host{host("c")}, "libvirtd")[0]; !res.OK() || res.AuditErr != nil {
		fail("after the failures: %+v", res)
	}
	os.Exit(0)
}

// A short write (disk full) leaves no fragment behind: every line of the
// log stays whole JSON, the failed intent refuses its action, and a failed
// outcome write is reported rather than dropped.
func TestAuditShortWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fsizeChildEnv+"="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var got []string
	for _, rec := range readAudit(t, path) { // fails on any line that is not JSON
		got = append(got, rec.Host+" "+rec.Phase)
	}
	want := []string{"b intent", "c intent", "c outcome"}
	if !slices.Equal(got, want) {
		t.Fatalf("records %q, want %q", got, want)
	}
}

func TestOpenAuditLogRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		root  bool // needs root to set up
	}{
		{name: "symlink", setup: func(t *testing.T, path string) {
			target := filepath.Join(filepath.Dir(path), "elsewhere")
			must(t, os.WriteFile(target, nil, 0o600))
			must(t, os.Symlink(target, path))
		}},
		{name: "fifo", setup: func(t *testing.T, path string) {
			must(t, syscall.Mkfifo(path, 0o600))
		}},
		{name: "directory", setup: func(t *testing.T, path string) {
			must(t, os.Mkdir(path, 0o700))
		}},
		{name: "hard link", setup: func(t *testing.T, path string) {
			other := filepath.Join(filepath.Dir(path), "other")
			must(t, os.WriteFile(other, nil, 0o600))
			must(t, os.Link(other, path))
		}},
		{name: "another user's file", root: true, setup: func(t *testing.T, path string) {
			must(t, os.WriteFile(path, nil, 0o600))
			must(t, os.Chown(path, 65534, 65534))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("needs root to give a file to another user")
			}
			path := filepath.Join(t.TempDir(), "audit.jsonl")
			tc.setup(t, path)
			log, err := OpenAuditLog(path)
			if err == nil {
				_ = log.Close()
				t.Fatalf("OpenAuditLog accepted a %s", tc.name)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
		})
	}
}

// An existing audit file readable by others is tightened to 0600 (the
// file is ours: tightening it loses nothing, refusing would stop every
// action after an upgrade).
func TestOpenAuditLogTightensMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	must(t, os.WriteFile(path, []byte("{}\n"), 0o644))
	must(t, os.Chmod(path, 0o644))
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode() != 0o600 {
		t.Fatalf("mode after open = %v, %v; want 0600", fi.Mode(), err)
	}
}

// Creating the file (and its folders) fsyncs each folder that gained an
// entry, so the new file survives a crash; reopening syncs nothing.
func TestOpenAuditLogSyncsNewEntries(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "state", "hv", "audit.jsonl")
	var synced []string
	sync := func(dir string) error { synced = append(synced, dir); return nil }
	log, err := openAuditLog(path, sync)
	if err != nil {
		t.Fatal(err)
	}
	_ = log.Close()
	want := []string{filepath.Join(base, "state", "hv"), filepath.Join(base, "state"), base}
	if !slices.Equal(synced, want) {
		t.Fatalf("synced %q, want %q", synced, want)
	}
	synced = nil
	log, err = openAuditLog(path, sync)
	if err != nil {
		t.Fatal(err)
	}
	_ = log.Close()
	if len(synced) != 0 {
		t.Fatalf("reopening synced %q, want nothing", synced)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
