package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// vmsIn returns the VM names of host in state (libvirt's state word).
func vmsIn(rep probes.HostReport, state string) []string {
	var out []string
	for _, v := range rep.VMs {
		if v.State == state {
			out = append(out, v.Name)
		}
	}
	return out
}

// VM actions through the console's wiring against the simulated fleet's
// libvirt RPC and Hyper-V scripts: the crashed autostart VM started again,
// the paused VM resumed, destroy refused until allowed, then verified shut
// off, an operation the hypervisor refuses reported failed.
func TestDemoVMActions(t *testing.T) {
	fl, cfg, f, runner := startDemo(t, simfleet.Options{Hosts: 3, HyperV: 1, Quiet: true})
	kvm, hv := cfg.Hosts[0], cfg.Hosts[2]
	rep := f.sched.Round(t.Context(), []hosts.Host{kvm})[0]
	running, paused := vmsIn(rep, "running"), vmsIn(rep, "paused")
	if len(running) < 2 || len(paused) != 1 {
		t.Fatalf("demo host VMs: %+v", rep.VMs)
	}
	victim := running[0]
	if err := fl.Host(kvm.Name).CrashVM(victim); err != nil {
		t.Fatal(err)
	}
	rep = f.sched.Round(t.Context(), []hosts.Host{kvm})[0]
	if !slices.Contains(vmsIn(rep, "shutoff"), victim) || rep.Status == probes.OK {
		t.Fatalf("after the crash: %s %+v", rep.Status, rep.VMs)
	}

	check := func(res actions.VMResult, outcome string) {
		t.Helper()
		if res.Outcome() != outcome {
			t.Fatalf("%s %s on %s: %s (%s), want %s", res.Op, res.VM, res.Host, res.Outcome(), res.Summary(), outcome)
		}
	}
	check(runner.VM(t.Context(), kvm, remote.VMStart, []string{victim})[0], "ok")
	check(runner.VM(t.Context(), kvm, remote.VMResume, []string{paused[0]})[0], "ok")
	check(runner.VM(t.Context(), kvm, remote.VMStart, []string{victim})[0], "failed") // already running
	if res := runner.VM(t.Context(), kvm, remote.VMDestroy, []string{victim})[0]; !strings.Contains(res.Summary(), "vm_actions") {
		t.Fatalf("destroy without opting in: %s", res.Summary())
	}
	kvm.VMActions = append(kvm.VMActions, remote.VMDestroy)
	check(runner.VM(t.Context(), kvm, remote.VMDestroy, []string{victim})[0], "ok")
	if rep := f.sched.Round(t.Context(), []hosts.Host{kvm})[0]; !slices.Contains(vmsIn(rep, "shutoff"), victim) {
		t.Fatalf("after destroy: %+v", rep.VMs)
	}

	hvRep := f.sched.Round(t.Context(), []hosts.Host{hv})[0]
	off := vmsIn(hvRep, "shutoff")
	if len(off) == 0 {
		t.Fatalf("Hyper-V host has no VM off: %+v", hvRep.VMs)
	}
	res := runner.VM(t.Context(), hv, remote.VMStart, []string{off[0]})[0]
	check(res, "ok")
	if !strings.Contains(res.Command, "-EncodedCommand") {
		t.Errorf("Hyper-V command %q", res.Command)
	}
	check(runner.VM(t.Context(), hv, remote.VMStart, []string{"no-such-vm"})[0], "failed")
	_ = time.Second
}
