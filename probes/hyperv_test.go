package probes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The fixtures in testdata/hyperv are written by hand from the documented
// output shapes: *_ps7 as our scripts print them (enums as names, lists as
// arrays, ISO 8601 times), *_ps51 with Windows PowerShell 5.1's quirks
// (enums as numbers, a single object for a list, {"value":[...],"Count":n}
// wrappers, "\/Date(ms)\/" times, a BOM and CRLF).

// hvNow is the clock the fixtures are rated against.
var hvNow = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func hvFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hyperv", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantResult checks a result's status and that its summary holds every want.
func hvWantResult(t *testing.T, r Result, st Status, wants ...string) {
	t.Helper()
	if r.Status != st {
		t.Errorf("status %v, want %v (summary %q, details %q)", r.Status, st, r.Summary, r.Details)
	}
	for _, w := range wants {
		if !strings.Contains(r.Summary, w) {
			t.Errorf("summary %q lacks %q", r.Summary, w)
		}
	}
}

func TestHyperVHypervisorFixtures(t *testing.T) {
	for _, tc := range []struct {
		file    string
		st      Status
		wants   []string
		version string
	}{
		{"hypervisor_healthy_ps7.json", OK, []string{"Hyper-V running, vmms Running"}, "Hyper-V / Microsoft Windows Server 2022 Datacenter 10.0.20348"},
		{"hypervisor_healthy_ps51.json", OK, []string{"Hyper-V running, vmms Running"}, "Hyper-V / Microsoft Windows Server 2019 Standard 10.0.17763"},
		{"hypervisor_launchoff_ps7.json", CRIT, []string{SummaryNotRunning + ": hypervisorlaunchtype is Off in the boot entry: " + remedyLaunchType}, ""},
		{"hypervisor_firmware_ps51.json", CRIT, []string{SummaryNotRunning + ": virtualization (VT-x/AMD-V) disabled in firmware", "power the host off (not just reboot)"}, ""},
		{"hypervisor_vmms_stopped_ps7.json", CRIT, []string{SummaryNotRunning + ": vmms Stopped: VMs keep running but cannot be managed: restart vmms"}, ""},
		{"hypervisor_bcd_denied_ps7.json", CRIT, []string{"launch type is unknown (bcdedit needs an elevated account)", "event 5"}, ""},
		{"hypervisor_cim_error_ps51.json", UNKNOWN, []string{"hypervisor presence unknown", "Access denied"}, ""},
		{"hypervisor_warn_launchoff_ps7.json", WARN, []string{"Hyper-V running; vmcompute Stopped", "will not start after the next reboot"}, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := remote.ParseHyperVHostFacts(hvFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r := hyperVHypervisorResult("hv", f, 0, hvNow)
			hvWantResult(t, r, tc.st, tc.wants...)
			if r.Check != hosts.CheckHypervisor || r.Host != "hv" {
				t.Errorf("result names %s/%s", r.Host, r.Check)
			}
			if tc.version != "" && hyperVVersion(f) != tc.version {
				t.Errorf("version %q, want %q", hyperVVersion(f), tc.version)
			}
		})
	}
}

func TestHyperVHypervisorDetails(t *testing.T) {
	f, err := remote.ParseHyperVHostFacts(hvFixture(t, "hypervisor_firmware_ps51.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := hyperVHypervisorResult("hv", f, 0, hvNow)
	for _, w := range []string{"HypervisorPresent: false", "hypervisorlaunchtype: Auto", "vmms: Running (Automatic)",
		"virtualization in firmware no, DEP yes, SLAT yes"} {
		if !strings.Contains(r.Details, w) {
			t.Errorf("details lack %q:\n%s", w, r.Details)
		}
	}
	w, err := remote.ParseHyperVHostFacts(hvFixture(t, "hypervisor_warn_launchoff_ps7.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Notes) != 1 || !strings.HasPrefix(w.Notes[0], "WARNING: ") {
		t.Errorf("notes %q", w.Notes)
	}
}

func TestHyperVVMsFixtures(t *testing.T) {
	for _, tc := range []struct {
		file  string
		st    Status
		sum   string
		vms   []VM
		state []string // HyperVState per VM
	}{
		{"vms_healthy_ps7.json", OK, "3 VMs: 2 running, 1 shutoff",
			[]VM{{Name: "dc01", State: "running", Autostart: true}, {Name: "web01", State: "running"}, {Name: "template-2022", State: "shutoff"}},
			[]string{"Running", "Running", "Off"}},
		{"vms_ps51.json", WARN, "2 VMs: 1 running, 1 saved",
			[]VM{{Name: "dc01", State: "running", Autostart: true}, {Name: "sql01", State: "saved"}},
			[]string{"Running", "Saved"}},
		{"vms_single_ps51.json", WARN, "1 VM: 1 shutoff; 1 automatic-start VM off",
			[]VM{{Name: "app's vm", State: "shutoff", Autostart: true}}, []string{"Off"}},
		{"vms_critical_ps7.json", CRIT, "2 VMs: 1 running, 1 shutoff (critical); 1 automatic-start VM off",
			[]VM{{Name: "dc01", State: "running", Autostart: true}, {Name: "file01", State: "shutoff", Reason: remote.ReasonCritical, Autostart: true}},
			[]string{"Running", "OffCritical"}},
		{"vms_paused_ps7.json", WARN, "2 VMs: 1 paused, 1 shutoff; 1 automatic-start VM off",
			[]VM{{Name: "build01", State: "paused"}, {Name: "dc02", State: "shutoff", Autostart: true}}, []string{"Paused", "Off"}},
		{"vms_numbers_ps51.json", CRIT, "2 VMs: 1 state-32781, 1 state-32786 (critical)",
			[]VM{{Name: "a", State: "state-32786", Reason: remote.ReasonCritical}, {Name: "b", State: "state-32781"}},
			[]string{"state-32786", "state-32781"}},
		{"vms_error_ps7.json", UNKNOWN, "VM list unavailable: Hyper-V encountered an error", nil, nil},
		{"vms_empty_ps51.json", OK, "0 VMs", nil, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := remote.ParseHyperVVMs(hvFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			hvWantResult(t, hyperVVMsResult("hv", f, 0, hvNow), tc.st, tc.sum)
			var vms []VM
			var states []string
			for _, v := range f.VMs {
				vms, states = append(vms, VM{Name: v.Name, State: v.State, Reason: v.Reason, Autostart: v.Autostart}), append(states, v.HyperVState)
			}
			if diff := cmp.Diff(tc.vms, vms); diff != "" {
				t.Errorf("VMs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.state, states); diff != "" {
				t.Errorf("Hyper-V states (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHyperVVMUptime(t *testing.T) {
	f, err := remote.ParseHyperVVMs(hvFixture(t, "vms_ps51.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.VMs[0].Uptime; got != 14*24*time.Hour {
		t.Errorf("TimeSpan object uptime %v", got)
	}
}

func TestHyperVResourcesFixtures(t *testing.T) {
	h := hosts.Host{Name: "hv"} // no thresholds: the documented defaults
	for _, tc := range []struct {
		file  string
		st    Status
		wants []string
		disks int
	}{
		{"resources_ps7.json", WARN, []string{`D:\Hyper-V 95% used`}, 2},
		{"resources_ps51.json", CRIT, []string{"mem 4% free", `E:\VMs does not exist`, "load 2.5/cpu"}, 0},
		{"resources_error_ps7.json", UNKNOWN, []string{"resources unreadable: Access denied"}, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := remote.ParseHyperVResources(hvFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r, res := hyperVResourcesResult(h, f, 0, hvNow)
			hvWantResult(t, r, tc.st, tc.wants...)
			if tc.st != UNKNOWN && (res == nil || len(res.Disks) != tc.disks || res.MemTotal != f.MemTotal) {
				t.Errorf("figures %+v", res)
			}
		})
	}
	f, err := remote.ParseHyperVResources(hvFixture(t, "resources_ps7.json"))
	if err != nil {
		t.Fatal(err)
	}
	h.MemFreeWarn, h.MemFreeCrit, h.DiskUseWarn, h.DiskUseCrit, h.LoadPerCPUWarn = 10, 5, 96, 99, 2
	r, _ := hyperVResourcesResult(h, f, 0, hvNow)
	hvWantResult(t, r, OK, "mem 62% free, disk 41% (C:", `disk 95% (D:\Hyper-V), load 0.2/cpu`)
}

func TestHyperVResourcesThresholds(t *testing.T) {
	base := remote.HyperVResourceFacts{MemTotal: 100 << 30, MemFree: 50 << 30, CPUs: 4, CPULoad: 50,
		Disks: []remote.HyperVDisk{{Path: `D:\VMs`, Exists: true, Total: 100 << 30, Free: 50 << 30}}}
	h := hosts.Host{Name: "hv", MemFreeWarn: 10, MemFreeCrit: 5, DiskUseWarn: 85, DiskUseCrit: 95, LoadPerCPUWarn: 2}
	for _, tc := range []struct {
		name string
		edit func(*remote.HyperVResourceFacts)
		st   Status
		want string
	}{
		{"ok", func(*remote.HyperVResourceFacts) {}, OK, "mem 50% free, disk 50% (D:\\VMs), load 0.5/cpu"},
		{"mem warn", func(f *remote.HyperVResourceFacts) { f.MemFree = 9 << 30 }, WARN, "mem 9% free"},
		{"mem crit", func(f *remote.HyperVResourceFacts) { f.MemFree = 4 << 30 }, CRIT, "mem 4% free"},
		{"disk warn", func(f *remote.HyperVResourceFacts) { f.Disks[0].Free = 10 << 30 }, WARN, "90% used"},
		{"disk crit", func(f *remote.HyperVResourceFacts) { f.Disks[0].Free = 1 << 30 }, CRIT, "99% used"},
		{"load warn", func(f *remote.HyperVResourceFacts) { f.CPULoad, f.QueueLength = 100, 8 }, WARN, "load 3.0/cpu"},
		{"disk unmeasured", func(f *remote.HyperVResourceFacts) { f.Disks[0].Total, f.Disks[0].Error = 0, "device not ready" }, WARN, "not measured: device not ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := base
			f.Disks = append([]remote.HyperVDisk(nil), base.Disks...)
			tc.edit(&f)
			r, _ := hyperVResourcesResult(h, f, 0, hvNow)
			hvWantResult(t, r, tc.st, tc.want)
		})
	}
}

// A state of only blanks or invisible characters is no state: the VM list
// is UNKNOWN with the reason, not a VM with an empty state.
func TestHyperVBlankStateIsUnknown(t *testing.T) {
	for _, state := range []string{"   ", `\t `, "\u200b\u00ad"} {
		out := `{"VMs":[{"Name":"dc01","State":"` + state + `","Status":"ok","Uptime":0,"AutomaticStartAction":"Start"}],"Error":null}`
		_, err := remote.ParseHyperVVMs(out)
		res := hyperVChecked("hv", hosts.CheckVMs, "VM list", err, 0, hvNow, func() Result { return Result{Status: OK} })
		if !errors.Is(err, remote.ErrUnparseable) || res.Status != UNKNOWN || !strings.Contains(res.Summary, "VM without a state") {
			t.Errorf("state %q: %v; %v %q", state, err, res.Status, res.Summary)
		}
	}
}
