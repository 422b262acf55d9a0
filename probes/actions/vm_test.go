package actions

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

// vmProber reports the VM "web" in state after the given number of rounds
// (before: shutoff); stale marks every VM list as not this round's.
type vmProber struct {
	mu     sync.Mutex
	n      int
	after  int
	state  string
	stale  bool
	absent bool
}

func (p *vmProber) Round(_ context.Context, hs []hosts.Host) []probes.HostReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	st := "shutoff"
	if p.n > p.after {
		st = p.state
	}
	rep := probes.HostReport{Host: hs[0].Name}
	if !p.absent {
		rep.VMs = []probes.VM{{Name: "web", State: st}, {Name: "db", State: "running"}}
	}
	if p.stale {
		rep.VMsAsOf = time.Unix(1, 0)
	}
	return []probes.HostReport{rep}
}

func hyperVHost(name string, ops ...string) hosts.Host {
	h := host(name)
	h.Hypervisor, h.VMActions = hosts.KindHyperV, ops
	return h
}

func newVMRunner(t *testing.T, readOnly bool, tr *fakeTransport, p Prober) (*Runner, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	return New(Options{ReadOnly: readOnly, Audit: log, Transport: tr.transport(), Prober: p, LocalUser: "alice",
		VerifyEvery: time.Millisecond, VerifyTimeout: 200 * time.Millisecond}), path
}

func TestVMRefusals(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readOnly bool
		op, vm   string
		want     error
	}{
		{"read-only", true, remote.VMStart, "web", ErrReadOnly},
		{"destroy is opt-in", false, remote.VMDestroy, "web", ErrNotAllowed},
		{"unknown op", false, "reboot", "web", ErrNotAllowed},
		{"name with a quote", false, remote.VMStart, "web'; Stop-Computer; '", ErrNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &fakeTransport{}
			r, path := newVMRunner(t, tc.readOnly, tr, &vmProber{state: "running"})
			res := r.VM(t.Context(), hyperVHost("a", hosts.DefaultVMActions...), tc.op, []string{tc.vm})[0]
			var refused *RefusedError
			if !errors.As(res.Err, &refused) || !errors.Is(res.Err, tc.want) {
				t.Fatalf("err = %v, want a refusal for %v", res.Err, tc.want)
			}
			if got := tr.commands(); len(got) != 0 {
				t.Fatalf("a refused VM action reached the host: %q", got)
			}
			recs := readAudit(t, path)
			if len(recs) != 1 || recs[0].Phase != PhaseRefused || recs[0].Action != VMAction(tc.op) || recs[0].Args[0] != tc.vm {
				t.Fatalf("audit = %+v, want one refused record", recs)
			}
		})
	}
}

func TestVMOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tr      *fakeTransport
		p       *vmProber
		outcome string
		summary string
	}{
		{"verified running", &fakeTransport{}, &vmProber{after: 2, state: "running"}, "ok", "start of VM web: running in"},
		{"refused by Hyper-V", &fakeTransport{exits: map[string]int{"a": 1}}, &vmProber{state: "running"}, "failed", "start of VM web failed"},
		{"no exit status", &fakeTransport{execErr: fmt.Errorf("exec: %w", probes.ErrExitUnknown)}, &vmProber{state: "running"},
			"unknown", "outcome unknown, the request was sent"},
		{"never running", &fakeTransport{}, &vmProber{after: 1 << 30}, "not-running", "VM not running after"},
		{"state never read", &fakeTransport{}, &vmProber{state: "running", stale: true}, "unknown", "could not be read"},
		{"VM gone from the list", &fakeTransport{}, &vmProber{state: "running", absent: true}, "unknown", "could not be read"},
		{"host unreachable", &fakeTransport{unreachable: map[string]bool{"a": true}}, &vmProber{state: "running"}, "failed", "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, path := newVMRunner(t, false, tc.tr, tc.p)
			res := r.VM(t.Context(), hyperVHost("a", remote.VMStart), remote.VMStart, []string{"web"})[0]
			if res.Outcome() != tc.outcome || !strings.Contains(res.Summary(), tc.summary) {
				t.Fatalf("outcome %s, summary %q; want %s, %q", res.Outcome(), res.Summary(), tc.outcome, tc.summary)
			}
			recs := readAudit(t, path)
			if len(recs) != 2 || recs[0].Phase != PhaseIntent || recs[1].Phase != PhaseOutcome ||
				recs[1].Outcome != tc.outcome || recs[0].ID != recs[1].ID || !strings.Contains(recs[0].Command, "-EncodedCommand") {
				t.Fatalf("audit = %+v", recs)
			}
		})
	}
}

// Several VMs are one action: each has its own records, one refused VM
// does not stop the others, and one verification round serves them all.
func TestVMSeveralVMs(t *testing.T) {
	tr := &fakeTransport{}
	p := &vmProber{state: "running"}
	r, path := newVMRunner(t, false, tr, p)
	out := r.VM(t.Context(), hyperVHost("a", remote.VMStart), remote.VMStart, []string{"web", "bad'name", "db"})
	if !out[0].OK() || out[1].Err == nil || !out[2].OK() {
		t.Fatalf("results: %s | %v | %s", out[0].Summary(), out[1].Err, out[2].Summary())
	}
	if got := len(tr.commands()); got != 2 {
		t.Errorf("%d commands, want 2", got)
	}
	if p.n != 1 {
		t.Errorf("%d verification rounds, want 1", p.n)
	}
	if got := len(readAudit(t, path)); got != 5 {
		t.Errorf("%d audit records, want 5 (2 intents, 1 refusal, 2 outcomes)", got)
	}
}
