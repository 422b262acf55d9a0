package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// The demo fleet's incident cycle, headless: the same wiring as the
// console (pool, scheduler, action layer) against simulated hosts.
func TestDemoIncidentCycle(t *testing.T) {
	fl, cfg, f, runner := startDemo(t, simfleet.Options{Hosts: 4, Quiet: true, RestartDelay: 100 * time.Millisecond})

	for _, r := range f.sched.Round(t.Context(), cfg.Hosts) {
		if r.Status != probes.OK {
			t.Fatalf("%s starts %s: %+v", r.Host, r.Status, r.Checks)
		}
	}
	victim := cfg.Hosts[1]
	fl.Host(victim.Name).StopDaemon()
	rep := f.sched.Round(t.Context(), []hosts.Host{victim})[0]
	hv, _ := rep.Check(hosts.CheckHypervisor)
	if rep.Status != probes.CRIT || !strings.Contains(hv.Summary, "hypervisor not running") {
		t.Fatalf("after the daemon stopped: %s %q", rep.Status, hv.Summary)
	}

	res := runner.Restart(t.Context(), []hosts.Host{victim}, "libvirtd")[0]
	if !res.OK() || !strings.Contains(res.Summary(), "hypervisor back OK in") {
		t.Fatalf("restart: %s", res.Summary())
	}
	if rep := f.sched.Round(t.Context(), []hosts.Host{victim})[0]; rep.Status != probes.OK {
		t.Fatalf("after the restart: %s %+v", rep.Status, rep.Checks)
	}
	if fl.Host(victim.Name).Snapshot().Unit != "active" {
		t.Fatal("the simulated daemon is not up after the restart")
	}
}

// A newcomer's first command, in a real terminal at 80x24.
func TestDemoInTmux(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	s := startTmux(t, 80, 24, []string{"cd", root, "&&", "NO_COLOR=1"}, goBin, "run", "./cmd/hvconsole", "demo")
	// At 80x24 only the first rows fit: the table has filled in when the
	// header counts a completed round over all 12 hosts.
	s.waitFor("the fleet table to fill in", 180*time.Second, func(scr string) bool {
		return strings.Contains(scr, "Fleet 12") && strings.Contains(scr, " ago") &&
			strings.Contains(scr, "demo-0") && strings.Contains(scr, "OK")
	})
	s.keys("q")
	s.waitFor("the demo to quit", 20*time.Second, func(string) bool {
		return exec.Command("tmux", "has-session", "-t", s.name).Run() != nil
	})
}

// A mixed fleet of KVM and Hyper-V hosts in one `check --json` and in the
// console, and the Hyper-V restart through the action layer.
func TestDemoMixedFleet(t *testing.T) {
	fl, cfg, f, runner := startDemo(t, simfleet.Options{Hosts: 4, HyperV: 2, Quiet: true, RestartDelay: 100 * time.Millisecond})
	doc, code, stderr := runJSON(t, fl.ConfigPath())
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q: %+v", code, stderr, doc)
	}
	kinds := map[string]int{}
	for _, h := range cfg.Hosts {
		kinds[h.Hypervisor]++
		hj := hostByName(t, doc, h.Name)
		hv := checkByName(t, hj, "hypervisor")
		wantWord := map[string]string{hosts.KindLibvirt: "libvirt", hosts.KindHyperV: "Hyper-V"}[h.Hypervisor]
		if hj.Status.String() != "OK" || !strings.Contains(hv.Summary, wantWord) || len(hj.VMs) == 0 {
			t.Errorf("%s (%s): %s, hypervisor %q, %d VMs", h.Name, h.Hypervisor, hj.Status, hv.Summary, len(hj.VMs))
		}
	}
	if kinds[hosts.KindLibvirt] != 2 || kinds[hosts.KindHyperV] != 2 {
		t.Fatalf("fleet kinds = %v, want 2 of each", kinds)
	}

	// vmms stops on a Hyper-V host: CRIT naming the remedy; the action
	// layer restarts it with Restart-Service and sees it back.
	victim := cfg.Hosts[len(cfg.Hosts)-1]
	fl.Host(victim.Name).StopDaemon()
	rep := f.sched.Round(t.Context(), []hosts.Host{victim})[0]
	if hv, _ := rep.Check(hosts.CheckHypervisor); rep.Status != probes.CRIT || !strings.Contains(hv.Summary, "vmms") {
		t.Fatalf("vmms stopped: %s %q", rep.Status, hv.Summary)
	}
	res := runner.Restart(t.Context(), []hosts.Host{victim}, "vmms")[0]
	if !res.OK() || !strings.Contains(res.Command, "-EncodedCommand") {
		t.Fatalf("restart vmms: %s (command %q)", res.Summary(), res.Command)
	}

	s := startTmux(t, 160, 48, []string{"NO_COLOR=1"}, buildBinary(t), "--config", fl.ConfigPath())
	s.waitFor("both kinds in the fleet table", 60*time.Second, func(scr string) bool {
		return strings.Contains(scr, "Fleet 4") && strings.Contains(scr, "hyperv") && strings.Contains(scr, "libvirt") &&
			strings.Contains(scr, " ago")
	})
	s.keys("q")
}

// startDemo starts a simulated fleet and the console's wiring over it (SSH
// pool, scheduler, action layer), all closed when the test ends.
func startDemo(t *testing.T, opts simfleet.Options) (*simfleet.Fleet, *hosts.Config, *fleet, *actions.Runner) {
	t.Helper()
	fl, err := simfleet.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fl.Close() })
	cfg, err := hosts.Load(fl.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	f, err := openFleet(t.Context(), &environment{getenv: func(string) string { return "" }}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	runner, closeAudit, err := newActionRunner(cfg, f, false)
	if err != nil {
		_ = f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAudit(); _ = f.Close() })
	return fl, cfg, f, runner
}
