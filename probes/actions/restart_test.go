package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

func TestRestartRefusals(t *testing.T) {
	tests := []struct {
		name     string
		readOnly bool
		unit     string
		want     error
	}{
		{name: "read-only", readOnly: true, unit: "libvirtd", want: ErrReadOnly},
		{name: "not on allow-list", unit: "sshd", want: ErrNotAllowed},
		{name: "invalid unit", unit: "libvirtd;reboot", want: ErrNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &fakeTransport{}
			r, path := newRunner(t, tc.readOnly, tr)
			res := r.Restart(t.Context(), []hosts.Host{host("a")}, tc.unit)
			var refused *RefusedError
			if !errors.As(res[0].Err, &refused) || !errors.Is(res[0].Err, tc.want) {
				t.Fatalf("err = %v, want a refusal for %v", res[0].Err, tc.want)
			}
			if got := tr.commands(); len(got) != 0 {
				t.Fatalf("a refused action reached the host: %q", got)
			}
			recs := readAudit(t, path)
			if len(recs) != 1 || recs[0].Phase != PhaseRefused || recs[0].Host != "a" || recs[0].LocalUser != "alice" {
				t.Fatalf("audit = %+v, want one refused record", recs)
			}
		})
	}
}

func TestRestartRunsVerifiesAndAudits(t *testing.T) {
	tr := &fakeTransport{}
	r, path := newRunner(t, false, tr)
	res := r.Restart(t.Context(), []hosts.Host{host("a")}, "libvirtd")[0]
	if !res.OK() {
		t.Fatalf("restart: %+v", res)
	}
	if got, want := tr.commands(), []string{"a: systemctl restart -- 'libvirtd'"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("commands = %q, want %q", got, want)
	}
	if !strings.Contains(res.Summary(), "hypervisor back OK in") {
		t.Fatalf("summary = %q", res.Summary())
	}
	recs := readAudit(t, path)
	if len(recs) != 2 || recs[0].Phase != PhaseIntent || recs[1].Phase != PhaseOutcome || recs[0].ID != recs[1].ID {
		t.Fatalf("audit = %+v, want intent then outcome with one id", recs)
	}
	if recs[1].Outcome != "ok" || recs[1].Exit == nil || *recs[1].Exit != 0 || recs[1].SSHUser != "root" {
		t.Fatalf("outcome record = %+v", recs[1])
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit file mode = %v, %v; want 0600", fi.Mode(), err)
	}
}

func TestRestartSudo(t *testing.T) {
	tr := &fakeTransport{}
	r, _ := newRunner(t, false, tr)
	h := host("a")
	h.Sudo = true
	r.Restart(t.Context(), []hosts.Host{h}, "libvirtd")
	if got := tr.commands(); len(got) != 1 || got[0] != "a: sudo -n systemctl restart -- 'libvirtd'" {
		t.Fatalf("commands = %q", got)
	}
}

// One host failing (unreachable, or the command failing) does not stop the
// others in a bulk restart.
func TestBulkRestartIsolatesFailures(t *testing.T) {
	tr := &fakeTransport{unreachable: map[string]bool{"b": true}, exits: map[string]int{"c": 1}}
	r, path := newRunner(t, false, tr)
	hs := []hosts.Host{host("a"), host("b"), host("c"), host("d")}
	res := r.Restart(t.Context(), hs, "libvirtd")
	want := map[string]bool{"a": true, "b": false, "c": false, "d": true}
	for i, rr := range res {
		if rr.Host != hs[i].Name {
			t.Fatalf("result %d is for %s, want %s", i, rr.Host, hs[i].Name)
		}
		if rr.OK() != want[rr.Host] {
			t.Errorf("%s: OK = %v, want %v (%s)", rr.Host, rr.OK(), want[rr.Host], rr.Summary())
		}
	}
	if c := res[2]; !errors.Is(c.Err, ErrRemoteFailed) || c.Exit != 1 || strings.ContainsRune(c.Stderr, 0x1b) {
		t.Fatalf("failed command result = %+v, want exit 1 and clean stderr", c)
	}
	if got := len(readAudit(t, path)); got != 8 {
		t.Fatalf("audit has %d records, want 8 (intent+outcome per host)", got)
	}
}

func TestRefuseRecordsCancel(t *testing.T) {
	r, path := newRunner(t, false, &fakeTransport{})
	errs := r.Refuse([]hosts.Host{host("a"), host("b")}, ActionRestart, []string{"libvirtd"}, ErrCancelled)
	for _, err := range errs {
		if !errors.Is(err, ErrCancelled) {
			t.Fatalf("err = %v", err)
		}
	}
	recs := readAudit(t, path)
	if len(recs) != 2 || recs[1].Error != ErrCancelled.Error() {
		t.Fatalf("audit = %+v", recs)
	}
}

func TestJournal(t *testing.T) {
	tr := &fakeTransport{}
	r, path := newRunner(t, true, tr) // read-only still reads
	text, err := r.Journal(t.Context(), host("a"), "libvirtd")
	if err != nil || text != "journal line\n" {
		t.Fatalf("journal = %q, %v", text, err)
	}
	if got := tr.commands(); len(got) != 1 || got[0] != "a: journalctl -u 'libvirtd' -n 200 --no-pager" {
		t.Fatalf("commands = %q", got)
	}
	if _, err := r.Journal(t.Context(), host("a"), "sshd"); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("journal of a unit the host does not list: %v", err)
	}
	if n := len(readAudit(t, path)); n != 3 {
		t.Fatalf("audit has %d records, want 3", n)
	}
}

// A bulk restart runs at most BulkRestarts hosts at once, whoever builds
// the Runner, and that is the number the README promises. synctest.Wait
// returns once every restart goroutine is blocked, so the count of
// commands held at the gate is the runner's whole concurrency.
func TestBulkRestartConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &fakeTransport{gate: make(chan struct{})}
		r, _ := newRunner(t, false, tr)
		hs := make([]hosts.Host, 3*BulkRestarts)
		for i := range hs {
			hs[i] = host(fmt.Sprintf("h%d", i))
		}
		done := make(chan []RestartResult)
		go func() { done <- r.Restart(t.Context(), hs, "libvirtd") }()
		synctest.Wait()
		tr.mu.Lock()
		held := tr.inflight
		tr.mu.Unlock()
		close(tr.gate)
		for _, res := range <-done {
			if !res.OK() {
				t.Errorf("%s: %s", res.Host, res.Summary())
			}
		}
		if held != BulkRestarts || tr.peak != BulkRestarts {
			t.Fatalf("%d commands held at once (peak %d), want %d", held, tr.peak, BulkRestarts)
		}
	})
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("at most %d hosts", BulkRestarts); !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Fatalf("README does not say %q", want)
	}
}

// A restart whose command was sent but whose exit status never came (the
// session torn down locally, as when the connection is retired) is
// recorded as unknown with the reason, never as failed: it may have run.
func TestRestartUnconfirmedIsUnknown(t *testing.T) {
	tr := &fakeTransport{execErr: fmt.Errorf("sshx: exec on a: %w: session closed locally: %w",
		probes.ErrExitUnknown, context.DeadlineExceeded)}
	r, path := newRunner(t, false, tr)
	res := r.Restart(t.Context(), []hosts.Host{host("a")}, "libvirtd")[0]
	if res.OK() || strings.Contains(res.Summary(), "failed") || !strings.Contains(res.Summary(), "unknown") {
		t.Fatalf("summary = %q, want an unknown outcome, not a failure", res.Summary())
	}
	recs := readAudit(t, path)
	if len(recs) != 2 || recs[1].Outcome != "unknown" || !strings.Contains(recs[1].Error, "session closed locally") {
		t.Fatalf("audit = %+v, want an unknown outcome with the reason", recs)
	}
}
