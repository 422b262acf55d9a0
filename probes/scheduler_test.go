package probes

import (
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
