package probes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// checkOf returns the named check of rep or fails the test.
func checkOf(t *testing.T, rep HostReport, name string) Result {
	t.Helper()
	r, ok := rep.Check(name)
	if !ok {
		t.Fatalf("%s: no %s check in %+v", rep.Host, name, rep.Checks)
	}
	return r
}

func wantCheck(t *testing.T, rep HostReport, name string, st Status, summaryPart string) {
	t.Helper()
	r := checkOf(t, rep, name)
	if r.Status != st || !strings.Contains(r.Summary, summaryPart) {
		t.Errorf("%s %s = %v %q, want %v containing %q", rep.Host, name, r.Status, r.Summary, st, summaryPart)
	}
}

func TestRoundHealthyHost(t *testing.T) {
	fh := healthyHost()
	fh.lv.doms = []fakeDom{
		{name: "web", state: int32(libvirt.DomainRunning), reason: int32(libvirt.DomainRunningBooted), autostart: true},
		{name: "db", state: int32(libvirt.DomainShutoff), reason: int32(libvirt.DomainShutoffShutdown)},
	}
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	reps := s.Round(t.Context(), cfg.Hosts)
	if len(reps) != 1 {
		t.Fatalf("got %d reports", len(reps))
	}
	rep := reps[0]
	if rep.Status != OK {
		t.Errorf("status = %v, checks %+v", rep.Status, rep.Checks)
	}
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Check)
	}
	if diff := cmp.Diff([]string{"ssh", "hypervisor", "vms", "kvm"}, names); diff != "" {
		t.Errorf("check order (-want +got):\n%s", diff)
	}
	wantCheck(t, rep, "hypervisor", OK, "libvirt 9.0.0, QEMU 8.2.0")
	wantCheck(t, rep, "vms", OK, "2 VMs: 1 running, 1 shutoff")
	for _, v := range rep.VMs {
		if v.Status != OK {
			t.Errorf("VM %s rated %v, want OK", v.Name, v.Status)
		}
	}
	wantCheck(t, rep, "kvm", OK, "/dev/kvm rw")
	wantCheck(t, rep, "ssh", OK, "handshake 40ms")
	wantVMs := []VM{{Name: "db", State: "shutoff", Reason: "shutdown"},
		{Name: "web", State: "running", Reason: "booted", Autostart: true}}
	if diff := cmp.Diff(wantVMs, rep.VMs); diff != "" {
		t.Errorf("VMs (-want +got):\n%s", diff)
	}
	if rep.Version != "QEMU 8.2.0 / libvirt 9.0.0" || rep.SSHLatency != 2*time.Millisecond || rep.Time.IsZero() {
		t.Errorf("report fields: version %q, ssh latency %v, time %v", rep.Version, rep.SSHLatency, rep.Time)
	}
}

// The round cost rule: with the API answering, remote commands run only when
// a slow fact is due, all in one exec, and the libvirt connection is reused.
func TestRoundCostCadence(t *testing.T) {
	fh := healthyHost()
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{UnitEvery: 3, KVMEvery: 5})
	defer s.Close()
	var execRounds []int
	var scripts []string
	for round := 1; round <= 6; round++ {
		before := fh.execs.Load()
		rep := s.Round(t.Context(), cfg.Hosts)[0]
		if rep.Status != OK {
			t.Fatalf("round %d: %v %+v", round, rep.Status, rep.Checks)
		}
		if n := fh.execs.Load() - before; n > 1 {
			t.Fatalf("round %d: %d execs, want at most one", round, n)
		} else if n == 1 {
			execRounds = append(execRounds, round)
			scripts = append(scripts, fh.lastScript.Load().(string))
		}
	}
	if diff := cmp.Diff([]int{1, 4, 6}, execRounds); diff != "" {
		t.Errorf("rounds with an exec (-want +got):\n%s", diff)
	}
	units, _ := remote.UnitsActiveCommand([]string{"libvirtd"})
	var batches [][]string
	for _, sc := range scripts {
		_, cmds, _ := remote.UnBatch(sc)
		batches = append(batches, cmds)
	}
	want := [][]string{{units, remote.KVMFactsCommand}, {units}, {remote.KVMFactsCommand}}
	if diff := cmp.Diff(want, batches); diff != "" {
		t.Errorf("scripts (-want +got):\n%s", diff)
	}
	if n := fh.opens.Load(); n != 1 {
		t.Errorf("libvirt opened %d times, want 1 (reused)", n)
	}
}

func TestRoundKVMCacheKeepsTime(t *testing.T) {
	fh := healthyHost()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{Now: clock, KVMMaxAge: time.Minute})
	defer s.Close()
	first := checkOf(t, s.Round(t.Context(), cfg.Hosts)[0], "kvm")
	now = now.Add(30 * time.Second)
	second := checkOf(t, s.Round(t.Context(), cfg.Hosts)[0], "kvm")
	if !second.Time.Equal(first.Time) {
		t.Errorf("cached kvm time %v, want original %v", second.Time, first.Time)
	}
	now = now.Add(31 * time.Second)
	before := fh.execs.Load()
	third := checkOf(t, s.Round(t.Context(), cfg.Hosts)[0], "kvm")
	if fh.execs.Load() != before+1 || !third.Time.Equal(now) {
		t.Errorf("kvm not re-read after max age: execs %d->%d, time %v", before, fh.execs.Load(), third.Time)
	}
}

func TestRoundHypervisorStates(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*fakeHost)
		want    Status
		summary string
		vms     Status
	}{
		{"libvirtd stopped", func(f *fakeHost) {
			f.openErr = errors.New("open failed")
			f.units = []string{"inactive"}
		}, CRIT, "hypervisor not running: libvirtd inactive", UNKNOWN},
		{"api silent, unit active", func(f *fakeHost) {
			f.openErr = errors.New("open failed")
		}, CRIT, "hypervisor not running: libvirt API not answering (dial libvirt socket: open failed); libvirtd active", UNKNOWN},
		{"api error, unit failed", func(f *fakeHost) {
			f.lv.callErr = libvirt.Error{Code: 1, Message: "internal error"}
			f.units = []string{"failed"}
		}, CRIT, "hypervisor not running: libvirtd failed", UNKNOWN},
		{"api answers, unit inactive", func(f *fakeHost) {
			f.units = []string{"inactive"}
		}, WARN, "libvirt 9.0.0, QEMU 8.2.0; libvirtd inactive", OK},
		{"api silent, units garbage", func(f *fakeHost) {
			f.openErr = errors.New("open failed")
			f.units = []string{"\x1b[31mACTIVE"}
		}, CRIT, "libvirt API not answering (dial libvirt socket: open failed); unit state unknown", UNKNOWN},
		{"api answers, units garbage", func(f *fakeHost) {
			f.units = []string{"active", "extra"}
		}, UNKNOWN, "unit state unknown", OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh := healthyHost()
			tt.setup(fh)
			cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
			defer s.Close()
			rep := s.Round(t.Context(), cfg.Hosts)[0]
			wantCheck(t, rep, "hypervisor", tt.want, tt.summary)
			if got := checkOf(t, rep, "vms").Status; got != tt.vms {
				t.Errorf("vms = %v, want %v", got, tt.vms)
			}
			if r := checkOf(t, rep, "hypervisor"); strings.ContainsAny(r.Summary, "\x1b\n") {
				t.Errorf("summary not clean: %q", r.Summary)
			}
		})
	}
}

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

func TestRoundOnlyConfiguredChecks(t *testing.T) {
	fh := healthyHost()
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	cfg.Hosts[0].Checks = []string{hosts.CheckSSH, hosts.CheckVMs}
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	if len(rep.Checks) != 2 || rep.Checks[1].Check != "vms" || fh.execs.Load() != 0 || rep.Version != "" {
		t.Errorf("checks %+v, execs %d, version %q", rep.Checks, fh.execs.Load(), rep.Version)
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
