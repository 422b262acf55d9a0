package probes

import (
	"slices"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// End to end without the lab: the real SSH layer and real go-libvirt
// against the simulated demo fleet (in-process SSH servers that speak the
// libvirt RPC procedures the probes use).

func simFleet(t *testing.T, n int) (*simfleet.Fleet, *Scheduler, []hosts.Host) {
	t.Helper()
	f, err := simfleet.Start(t.Context(), simfleet.Options{Hosts: n, Quiet: true, Seed: 7})
	if err != nil {
		t.Fatalf("simfleet: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	cfg, err := hosts.Load(f.ConfigPath())
	if err != nil {
		t.Fatalf("simfleet config: %v", err)
	}
	pool := sshx.NewPool(sshx.Options{})
	s := NewScheduler(cfg, NewSSHTransport(pool), SchedulerOptions{})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("scheduler close: %v", err)
		}
		pool.Close()
	})
	return f, s, cfg.Hosts
}

// simExpected is what the probes must report for a simulated host's VMs.
func simExpected(st simfleet.State) []VM {
	var vms []VM
	for _, v := range st.VMs {
		w, r := libvirtStateWords(int32(v.State), v.Reason)
		vm := VM{Name: v.Name, State: w, Reason: r, Autostart: v.Autostart}
		vm.Status = VMStatus(vm)
		vms = append(vms, vm)
	}
	slices.SortFunc(vms, func(a, b VM) int { return strings.Compare(a.Name, b.Name) })
	return vms
}

func TestSimFleetRound(t *testing.T) {
	f, s, hs := simFleet(t, 3)
	for i, rep := range s.Round(t.Context(), hs) {
		snap := f.Host(hs[i].Name).Snapshot()
		wantCheck(t, rep, "ssh", OK, "reachable")
		wantCheck(t, rep, "hypervisor", OK, "libvirt "+snap.LibvirtVersion+", QEMU "+snap.QEMUVersion)
		if want := simExpected(snap); !slices.Equal(want, rep.VMs) {
			t.Errorf("%s: VMs %+v, want %+v", rep.Host, rep.VMs, want)
		}
		wantSt, wantSum, _ := VMSummary(simExpected(snap))
		wantCheck(t, rep, "vms", wantSt, wantSum)
	}
}

func TestSimFleetDaemonStopAndCrash(t *testing.T) {
	f, s, hs := simFleet(t, 2)
	sick := f.Host(hs[0].Name)
	s.Round(t.Context(), hs)
	sick.StopDaemon()
	reps := s.Round(t.Context(), hs)
	wantCheck(t, reps[0], "hypervisor", CRIT, "hypervisor not running: libvirtd inactive")
	wantCheck(t, reps[1], "hypervisor", OK, "libvirt ")

	sick.StartDaemon()
	snap := sick.Snapshot()
	if len(snap.VMs) == 0 {
		t.Fatal("simulated host has no VMs")
	}
	if err := sick.CrashVM(snap.VMs[0].Name); err != nil {
		t.Fatal(err)
	}
	rep := s.Round(t.Context(), hs)[0]
	wantCheck(t, rep, "hypervisor", OK, "libvirt ")
	wantCheck(t, rep, "vms", CRIT, "shutoff (")
	if rep.Status != CRIT {
		t.Errorf("host status %v after a VM crash", rep.Status)
	}
}
