package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// Lab host 24 is this package's Hyper-V host: the powershell.exe stand-in
// on its PATH answers from the scenario lab.HyperV installs. Host 11
// (labHealthy) is the libvirt host of the mixed fleet.
const labHyperV = 24

// hyperVEntry makes a lab host a Hyper-V host in an inventory. Its image
// paths stay the libvirt default, which the probe skips on Windows hosts
// (it then measures Get-VMHost's own paths).
const hyperVEntry = `hypervisor = "hyperv"
units = ["vmms"]
services = ["vmms"]
checks = ["ssh", "hypervisor", "vms", "resources"]
`

// hyperVLab returns the lab with host 24 in the healthy scenario, and an
// inventory over the given hosts in which host 24 is a Hyper-V host.
func hyperVLab(t *testing.T, nums ...int) (*labtest.Lab, string) {
	t.Helper()
	lab := labtest.Require(t)
	if !lab.Has(labHyperV) {
		t.Fatalf("the lab has %d hosts; the Hyper-V tests need host %d", lab.Len(), labHyperV)
	}
	lab.HyperV(t, labHyperV, labtest.HyperVHealthy)
	return lab, labConfig(t, lab, lab.KnownHosts, nums, map[int]string{labHyperV: hyperVEntry})
}

// wantCheck fails the test unless host's check has status and its summary
// holds every text.
func wantCheck(t *testing.T, doc checkJSON, host, check string, status probes.Status, texts ...string) {
	t.Helper()
	c := checkByName(t, hostByName(t, doc, host), check)
	if c.Status != status {
		t.Errorf("%s %s: %s %q, want %s", host, check, c.Status, c.Summary, status)
	}
	for _, s := range texts {
		if !strings.Contains(c.Summary, s) {
			t.Errorf("%s %s summary %q lacks %q", host, check, c.Summary, s)
		}
	}
}

// The Hyper-V scenarios, each over real SSH to the stand-in, with
// the real command construction, parsing and statuses.
func TestHyperVLabScenarios(t *testing.T) {
	lab, cfgPath := hyperVLab(t, labHyperV)
	name := lab.Host(labHyperV).Name

	t.Run("healthy is OK", func(t *testing.T) {
		doc, code, stderr := runJSON(t, cfgPath)
		if code != exitOK {
			t.Fatalf("exit %d, stderr %q: %+v", code, stderr, doc)
		}
		wantCheck(t, doc, name, hosts.CheckHypervisor, probes.OK, "Hyper-V running")
		wantCheck(t, doc, name, hosts.CheckVMs, probes.OK)
		wantCheck(t, doc, name, hosts.CheckResources, probes.OK, "mem")
		if vms := hostByName(t, doc, name).VMs; len(vms) != 3 {
			t.Errorf("%d VMs, want the scenario's 3: %+v", len(vms), vms)
		}
	})

	t.Run("launch type Off is CRIT with the cause and the remedy", func(t *testing.T) {
		lab.HyperV(t, labHyperV, labtest.HyperVLaunchOff)
		doc, code, _ := runJSON(t, cfgPath)
		if code != exitCrit {
			t.Errorf("exit %d, want %d", code, exitCrit)
		}
		wantCheck(t, doc, name, hosts.CheckHypervisor, probes.CRIT, probes.SummaryNotRunning,
			"hypervisorlaunchtype is Off", "bcdedit /set hypervisorlaunchtype auto", "then reboot")
	})

	t.Run("a VM in a Critical state is CRIT", func(t *testing.T) {
		lab.HyperV(t, labHyperV, labtest.HyperVVMCritical)
		doc, code, _ := runJSON(t, cfgPath)
		if code != exitCrit {
			t.Errorf("exit %d, want %d", code, exitCrit)
		}
		wantCheck(t, doc, name, hosts.CheckHypervisor, probes.OK)
		wantCheck(t, doc, name, hosts.CheckVMs, probes.CRIT, "critical")
		for _, vm := range hostByName(t, doc, name).VMs {
			if vm.Name == "web01" && vm.Reason != remote.ReasonCritical {
				t.Errorf("web01: %+v, want reason %q", vm, remote.ReasonCritical)
			}
		}
	})
}

// vmms stopped: CRIT; `hvconsole restart` runs Restart-Service over SSH,
// the stand-in starts vmms, the re-probe sees OK; the audit log has both
// records with the exact command.
func TestHyperVLabRestartVMMS(t *testing.T) {
	lab, cfgPath := hyperVLab(t, labHyperV)
	name := lab.Host(labHyperV).Name
	lab.HyperV(t, labHyperV, labtest.HyperVVMMSStopped)

	doc, code, _ := runJSON(t, cfgPath)
	if code != exitCrit {
		t.Errorf("vmms stopped: exit %d, want %d", code, exitCrit)
	}
	wantCheck(t, doc, name, hosts.CheckHypervisor, probes.CRIT, probes.SummaryNotRunning, "restart vmms")

	code, out, stderr := runCapture(t, "restart", "--config", cfgPath, "--host", name, "--service", "vmms", "--yes")
	t.Logf("restart: exit %d\n%s%s", code, out, stderr)
	if code != exitOK || !strings.Contains(out, name+": restarted vmms, hypervisor back OK in") {
		t.Fatalf("restart vmms: exit %d: %s%s", code, out, stderr)
	}
	doc, code, _ = runJSON(t, cfgPath)
	if code != exitOK {
		t.Errorf("after the restart: exit %d: %+v", code, doc)
	}
	wantCheck(t, doc, name, hosts.CheckHypervisor, probes.OK, "vmms Running")

	cfg, err := hosts.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := remote.HyperVRestartCommand("vmms")
	if err != nil {
		t.Fatal(err)
	}
	recs := readAuditFile(t, cfg.AuditLog)
	if !hasRecord(recs, name, actions.PhaseIntent, "") || !hasRecord(recs, name, actions.PhaseOutcome, "ok") {
		t.Fatalf("audit log lacks the intent or the ok outcome: %+v", recs)
	}
	for _, r := range recs {
		if r.Phase == actions.PhaseIntent && r.Command != want {
			t.Errorf("audited command %q, want %q", r.Command, want)
		}
	}
}

// The stand-in refuses a script hvconsole does not send: over real SSH,
// an EncodedCommand of our VM script with a line added exits 1 with
// PowerShell-like stderr and prints nothing a parser could read, while the
// unaltered script answers.
func TestHyperVLabRefusesForeignScript(t *testing.T) {
	lab, cfgPath := hyperVLab(t, labHyperV)
	cfg, err := hosts.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := openFleet(t.Context(), &environment{getenv: func(string) string { return "" }}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := cfg.Select([]string{lab.Host(labHyperV).Name}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.transport.Connect(t.Context(), h[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"our script", remote.HyperVVMsScript, 0},
		{"our script with a line added", remote.HyperVVMsScript + "Get-VM | Stop-VM -Force\n", 1},
		{"a script that is not ours", "Get-VM | Remove-VM -Force", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Exec(t.Context(), remote.EncodedCommand(tc.script))
			if err != nil {
				t.Fatal(err)
			}
			_, perr := remote.ParseHyperVVMs(string(res.Stdout))
			switch tc.want {
			case 0:
				if res.ExitCode != 0 || perr != nil {
					t.Errorf("exit %d, parse %v, stderr %q", res.ExitCode, perr, res.Stderr)
				}
			default:
				if res.ExitCode != tc.want || len(res.Stdout) != 0 || perr == nil ||
					!strings.Contains(string(res.Stderr), "refusing a script that hvconsole does not send") {
					t.Errorf("exit %d, stdout %q (parse %v), stderr %q; want exit %d, no output, a refusal",
						res.ExitCode, res.Stdout, perr, res.Stderr, tc.want)
				}
			}
		})
	}
}

// A mixed fleet: a libvirt host and a Hyper-V host in one `check --json`,
// then in the console at 160x48, where both kinds show in the table and
// the Hyper-V host's checks in the host pane.
func TestHyperVLabMixedFleet(t *testing.T) {
	lab, cfgPath := hyperVLab(t, labHealthy, labHyperV)
	kvm, hv := lab.Host(labHealthy).Name, lab.Host(labHyperV).Name

	doc, code, stderr := runJSON(t, cfgPath)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q: %+v", code, stderr, doc)
	}
	wantCheck(t, doc, kvm, hosts.CheckHypervisor, probes.OK, "libvirt")
	wantCheck(t, doc, hv, hosts.CheckHypervisor, probes.OK, "Hyper-V")
	for _, n := range []string{kvm, hv} {
		if h := hostByName(t, doc, n); h.Status != probes.OK || len(h.VMs) == 0 {
			t.Errorf("%s: %s with %d VMs", n, h.Status, len(h.VMs))
		}
	}

	// At 160 columns the host pane takes the right side and the table is
	// too narrow for its HYPERVISOR column (it needs 100): each host's kind
	// shows in the pane's first line, so the test reads both hosts' panes.
	s := startTmux(t, 160, 48, []string{"NO_COLOR=1"}, buildBinary(t), "--config", cfgPath)
	paneOf := func(n int) string { return "─ " + lab.Host(n).Name + " · " + lab.Host(n).Address }
	s.waitFor("both hosts OK in the table", 30*time.Second, func(scr string) bool {
		return strings.Contains(rowOf(scr, kvm), "OK") && strings.Contains(rowOf(scr, hv), "OK")
	})
	kinds := map[int]string{labHealthy: "libvirt 9.0.0", labHyperV: "hyperv Hyper-V / Microsoft Windows Server 2022"}
	panes := map[int]string{}
	for step := range len(kinds) {
		if step > 0 {
			s.keys("j") // the cursor starts on the first row: select the next one
		}
		scr := s.waitFor("a host pane not seen yet, with the host's kind", 10*time.Second, func(scr string) bool {
			for n, kind := range kinds {
				if _, seen := panes[n]; !seen && strings.Contains(scr, paneOf(n)) && strings.Contains(scr, kind) {
					return true
				}
			}
			return false
		})
		for n := range kinds {
			if strings.Contains(scr, paneOf(n)) {
				panes[n] = scr
			}
		}
	}
	for _, want := range []string{"Hyper-V running, vmms Running", "resources", "template-2022"} {
		if !strings.Contains(panes[labHyperV], want) {
			t.Errorf("the Hyper-V host's pane lacks %q:\n%s", want, panes[labHyperV])
		}
	}
	s.keys("q")
	s.waitFor("the console to quit", 10*time.Second, func(string) bool {
		return exec.Command("tmux", "has-session", "-t", s.name).Run() != nil
	})
}

// The journal view on a Hyper-V host reads the VMMS admin event log over
// real SSH, through the action layer, audited like any other read.
func TestHyperVLabJournal(t *testing.T) {
	lab, cfgPath := hyperVLab(t, labHyperV)
	cfg, err := hosts.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := openFleet(t.Context(), &environment{getenv: func(string) string { return "" }}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runner, closeAudit, err := newActionRunner(cfg, f, true) // read-only still reads
	if err != nil {
		t.Fatal(err)
	}
	defer closeAudit()
	h, _ := cfg.Select([]string{lab.Host(labHyperV).Name}, nil)
	text, err := runner.Journal(t.Context(), h[0], "vmms")
	if err != nil || strings.TrimSpace(text) == "" {
		t.Fatalf("journal: %q, %v", text, err)
	}
	if strings.ContainsAny(text, "\x1b\r") {
		t.Errorf("journal text not cleaned: %q", text)
	}
	recs := readAuditFile(t, cfg.AuditLog)
	if !hasRecord(recs, h[0].Name, actions.PhaseOutcome, "ok") {
		t.Errorf("journal read not audited: %+v", recs)
	}
}
