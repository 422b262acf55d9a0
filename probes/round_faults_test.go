package probes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
)

// The round when a host misbehaves: a frozen daemon, an unreachable or
// hung host, a cancelled round, garbage output, a dead exec, a dropped
// session, hostile text; and how the checks recover.

func TestRoundFrozenDaemon(t *testing.T) {
	fh := healthyHost()
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	if rep := s.Round(t.Context(), cfg.Hosts)[0]; rep.Status != OK {
		t.Fatalf("first round %v", rep.Status)
	}
	fh.lv.mu.Lock()
	fh.lv.hang = true
	fh.lv.left = make(chan struct{}, 8)
	fh.lv.mu.Unlock()
	cfg.Hosts[0].ProbeTimeout = 50 * time.Millisecond
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	wantCheck(t, rep, "hypervisor", CRIT, "libvirt API not answering (no answer before the deadline); libvirtd active")
	wantCheck(t, rep, "vms", UNKNOWN, "VM list unavailable")
	select { // the killed session frees the blocked call at once
	case <-fh.lv.left:
	case <-time.After(5 * time.Second):
		t.Fatalf("libvirt call still blocked after the deadline (%d in flight)", fh.lv.inflight.Load())
	}
	fh.lv.mu.Lock()
	fh.lv.hang = false
	fh.lv.mu.Unlock()
	if rep := s.Round(t.Context(), cfg.Hosts)[0]; rep.Status != OK {
		t.Errorf("after the daemon thawed: %v %+v", rep.Status, rep.Checks)
	}
	if n := fh.opens.Load(); n != 2 {
		t.Errorf("opens = %d, want 2 (reopened after the kill)", n)
	}
}

// keyMismatchError stands in for sshx's typed host-key error.
type keyMismatchError struct{ file string }

func (e *keyMismatchError) Error() string { return "knownhosts: key mismatch" }

func TestRoundUnreachable(t *testing.T) {
	classify := func(err error) (Status, string) {
		var km *keyMismatchError
		if errors.As(err, &km) {
			return CRIT, "host key mismatch: fix " + km.file
		}
		return defaultClassify(err)
	}
	tests := []struct {
		name    string
		err     error
		summary string
	}{
		{"refused", errors.New("connection refused"), "unreachable: connection refused"},
		{"key mismatch", &keyMismatchError{file: "known_hosts:3"}, "host key mismatch: fix known_hosts:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh := healthyHost()
			fh.connectErr = tt.err
			cfg, tr, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
			tr.ClassifyFn = classify
			defer s.Close()
			rep := s.Round(t.Context(), cfg.Hosts)[0]
			wantCheck(t, rep, "ssh", CRIT, tt.summary)
			for _, c := range []string{"hypervisor", "vms", "kvm"} {
				wantCheck(t, rep, c, UNKNOWN, SummaryUnreachable)
			}
			if rep.Status != CRIT || fh.execs.Load() != 0 || fh.opens.Load() != 0 || fh.connects.Load() != 1 {
				t.Errorf("status %v, execs %d, opens %d, connects %d: dependents must not be tried",
					rep.Status, fh.execs.Load(), fh.opens.Load(), fh.connects.Load())
			}
		})
	}
}

// A host whose connect hangs costs only its own deadline: Round returns and
// the other hosts are OK.
func TestRoundHungHost(t *testing.T) {
	hung := healthyHost()
	hung.hangConnect = true
	names := []string{"a", "hung", "b"}
	cfg, _, s := fleet(names, []*fakeHost{healthyHost(), hung, healthyHost()}, SchedulerOptions{})
	defer s.Close()
	cfg.Hosts[1].ConnectTimeout = 50 * time.Millisecond
	cfg.Hosts[1].ProbeTimeout = 50 * time.Millisecond
	done := make(chan []HostReport, 1)
	go func() { done <- s.Round(t.Context(), cfg.Hosts) }()
	var reps []HostReport
	select {
	case reps = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Round did not return after the hung host's deadline")
	}
	for i, want := range []Status{OK, CRIT, OK} {
		if reps[i].Host != names[i] || reps[i].Status != want {
			t.Errorf("report %d = %s %v, want %s %v", i, reps[i].Host, reps[i].Status, names[i], want)
		}
	}
	wantCheck(t, reps[1], "ssh", CRIT, "connect timeout")
}

func TestRoundCancelled(t *testing.T) {
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{healthyHost()}, SchedulerOptions{})
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rep := s.Round(ctx, cfg.Hosts)[0]
	if rep.Status != UNKNOWN {
		t.Errorf("cancelled round: %v %+v", rep.Status, rep.Checks)
	}
}

func TestRoundGarbageOutput(t *testing.T) {
	tests := []struct {
		name     string
		out      string
		hv, kvm  Status
		truncate bool
	}{
		{"noise", "\x00\xff\x1b]0;pwned\x07random noise\n", UNKNOWN, UNKNOWN, false},
		{"kvm garbage", "@@hv:0\nactive\n@@hv:0:0\n@@hv:1\nkvm_dev=maybe\n@@hv:1:0\n", OK, UNKNOWN, false},
		{"cut short", "@@hv:0\nactive\n@@hv:0:0\n@@hv:1\nkvm_dev=present\n", OK, UNKNOWN, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh := healthyHost()
			fh.execOut = tt.out
			cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
			defer s.Close()
			rep := s.Round(t.Context(), cfg.Hosts)[0]
			if got := checkOf(t, rep, "hypervisor").Status; got != tt.hv {
				t.Errorf("hypervisor = %v, want %v", got, tt.hv)
			}
			k := checkOf(t, rep, "kvm")
			if k.Status != tt.kvm || strings.ContainsAny(k.Summary+k.Err, "\x00\x1b\x07") {
				t.Errorf("kvm = %v %q (err %q), want %v and clean text", k.Status, k.Summary, k.Err, tt.kvm)
			}
		})
	}
}

func TestRoundExecTimeoutReconnects(t *testing.T) {
	fh := healthyHost()
	fh.hangExec = true
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	cfg.Hosts[0].ProbeTimeout = 30 * time.Millisecond
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	wantCheck(t, rep, "kvm", UNKNOWN, "kvm facts unavailable")
	if fh.reconnects.Load() != 1 {
		t.Errorf("reconnects = %d, want 1 after an exec outlived its deadline", fh.reconnects.Load())
	}
	fh.mu.Lock()
	fh.hangExec = false
	fh.mu.Unlock()
	cfg.Hosts[0].ProbeTimeout = 2 * time.Second
	rep = s.Round(t.Context(), cfg.Hosts)[0]
	if rep.Status != OK || fh.connects.Load() != 2 || fh.opens.Load() != 2 {
		t.Errorf("after reconnect: %v, connects %d, opens %d (libvirt must follow the new connection)",
			rep.Status, fh.connects.Load(), fh.opens.Load())
	}
}

// libvirtd restarted: the session's stream broke; the next round reopens.
func TestRoundReopensAfterDisconnect(t *testing.T) {
	fh := healthyHost()
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	s.Round(t.Context(), cfg.Hosts)
	st := s.state("hv1")
	st.mu.Lock()
	st.sess.kill() // what a daemon restart looks like from here
	st.mu.Unlock()
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	if rep.Status != OK || fh.opens.Load() != 2 {
		t.Errorf("after restart: %v, opens %d", rep.Status, fh.opens.Load())
	}
}

func TestRoundRemoteText(t *testing.T) {
	fh := healthyHost()
	fh.lv.hostname = "evil\x1b]0;title\x07host"
	fh.lv.doms = []fakeDom{{name: "vm\x1b[2J\u202e1\ncrash", state: int32(libvirt.DomainCrashed), reason: 1}}
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	if got := rep.VMs[0].Name; got != "vm1 crash" {
		t.Errorf("VM name = %q", got)
	}
	if rep.VMs[0].Status != CRIT {
		t.Errorf("crashed VM rated %v, want CRIT", rep.VMs[0].Status)
	}
	wantCheck(t, rep, "vms", CRIT, "1 VM: 1 crashed (panicked)")
	if d := checkOf(t, rep, "hypervisor").Details; !strings.Contains(d, "hostname: evilhost") {
		t.Errorf("details = %q", d)
	}
}

// When the API answers again after a silence, the unit state read to explain
// the silence is stale: it is read afresh instead of turning into a WARN.
func TestRoundHypervisorRecovers(t *testing.T) {
	fh := healthyHost()
	fh.openErr = errors.New("open failed")
	fh.units = []string{"inactive"}
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	wantCheck(t, s.Round(t.Context(), cfg.Hosts)[0], "hypervisor", CRIT, "libvirtd inactive")
	fh.mu.Lock()
	fh.openErr, fh.units = nil, []string{"active"}
	fh.mu.Unlock()
	before := fh.execs.Load()
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	wantCheck(t, rep, "hypervisor", OK, "libvirt 9.0.0, QEMU 8.2.0")
	if fh.execs.Load() != before+1 {
		t.Errorf("unit state not re-read after recovery")
	}
	before = fh.execs.Load()
	s.Round(t.Context(), cfg.Hosts)
	if fh.execs.Load() != before {
		t.Errorf("exec in a steady round after recovery")
	}
}
