package probes

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// hyperVProbe end to end: the real SSH layer against a simulated Hyper-V
// host that answers the exact EncodedCommand strings.

func hyperVSim(t *testing.T) (*simfleet.Host, hosts.Host, Conn) {
	t.Helper()
	f, err := simfleet.Start(t.Context(), simfleet.Options{Hosts: 2, HyperV: 1, Quiet: true, Seed: 7, RestartDelay: time.Millisecond})
	if err != nil {
		t.Fatalf("simfleet: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	cfg, err := hosts.Load(f.ConfigPath())
	if err != nil {
		t.Fatalf("simfleet config: %v", err)
	}
	h := cfg.Hosts[1]
	if h.Hypervisor != hosts.KindHyperV {
		t.Fatalf("host %s is %q", h.Name, h.Hypervisor)
	}
	pool := sshx.NewPool(sshx.Options{})
	t.Cleanup(func() { pool.Close() })
	r, err := NewSSHTransport(pool).Connect(t.Context(), h)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return f.Host(h.Name), h, r
}

func hvCheckOf(t *testing.T, checks []Result, name string) Result {
	t.Helper()
	i := slices.IndexFunc(checks, func(r Result) bool { return r.Check == name })
	if i < 0 {
		t.Fatalf("no %s check in %+v", name, checks)
	}
	return checks[i]
}

func TestHyperVProbeSimulatedHost(t *testing.T) {
	sim, h, r := hyperVSim(t)
	st, _ := sim.HyperV()

	checks, vms, version := hyperVProbe(t.Context(), r, h, time.Now())
	for _, c := range checks {
		if c.Status != OK {
			t.Errorf("healthy host: %s %v %q (%s)", c.Check, c.Status, c.Summary, c.Err)
		}
	}
	if len(checks) != 4 || version != "Hyper-V / "+st.OS || len(vms) != len(st.VMs) {
		t.Errorf("checks %d, version %q, VMs %d of %d", len(checks), version, len(vms), len(st.VMs))
	}

	sim.SetVMMSRunning(false)
	checks, _, _ = hyperVProbe(t.Context(), r, h, time.Now())
	hvWantResult(t, hvCheckOf(t, checks, "hypervisor"), CRIT, SummaryNotRunning, "vmms Stopped", "restart vmms")
	hvWantResult(t, hvCheckOf(t, checks, "vms"), UNKNOWN, "VM list unavailable: Hyper-V encountered an error")

	cmd, err := remote.HyperVRestartCommand("vmms")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.Exec(t.Context(), cmd); err != nil || res.ExitCode != 0 {
		t.Fatalf("Restart-Service vmms: %v %+v", err, res)
	}
	checks, _, _ = hyperVProbe(t.Context(), r, h, time.Now())
	hvWantResult(t, hvCheckOf(t, checks, "hypervisor"), OK, "Hyper-V running")

	sim.SetLaunchTypeOff(true)
	checks, _, _ = hyperVProbe(t.Context(), r, h, time.Now())
	hvWantResult(t, hvCheckOf(t, checks, "hypervisor"), CRIT, SummaryNotRunning, "hypervisorlaunchtype is Off", remedyLaunchType)
	sim.SetLaunchTypeOff(false)

	if err := sim.SetHyperVVMState(st.VMs[0].Name, "RunningCritical"); err != nil {
		t.Fatal(err)
	}
	checks, vms, _ = hyperVProbe(t.Context(), r, h, time.Now())
	hvWantResult(t, hvCheckOf(t, checks, "vms"), CRIT, "1 critical")
	if !slices.ContainsFunc(vms, func(v VM) bool { return v.Name == st.VMs[0].Name && v.Reason == remote.ReasonCritical }) {
		t.Errorf("VMs %+v lack the critical one", vms)
	}
}

func TestHyperVSimulatedJournal(t *testing.T) {
	sim, _, r := hyperVSim(t)
	sim.SetVMMSRunning(false)
	res, err := r.Exec(t.Context(), remote.EncodedCommand(remote.HyperVJournalScript))
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("journal: %v %+v", err, res)
	}
	if out := string(res.Stdout); !strings.Contains(out, " Information 14098 The Virtual Machine Management service is shutting down.") {
		t.Errorf("journal %q", out)
	}
}
