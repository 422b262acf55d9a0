package labtest

import (
	"strconv"
	"testing"
)

// Hyper-V lab scenarios (lab/hyperv/NAME): what the powershell.exe
// stand-in on a lab host answers. Each is the healthy scenario with the
// files that differ replaced.
const (
	// HyperVHealthy: hypervisor running, vmms and vmcompute Running, two
	// VMs Running and a template Off.
	HyperVHealthy = "healthy"
	// HyperVLaunchOff: no hypervisor present, hypervisorlaunchtype Off,
	// firmware requirements met; every VM Off.
	HyperVLaunchOff = "launch-off"
	// HyperVVMMSStopped: vmms Stopped (Get-VM then fails);
	// Restart-Service vmms sets it Running in the scenario.
	HyperVVMMSStopped = "vmms-stopped"
	// HyperVVMCritical: the VM web01 is RunningCritical.
	HyperVVMCritical = "vm-critical"
	// HyperVWeakSecurity: web01 (generation 2) without Secure Boot, VBS
	// enabled but not running, HVCI configured but not running.
	HyperVWeakSecurity = "weak-security"
	// HyperVDrillCorrupt: the restore drill's Test-VHD fails on the copy
	// (the healthy scenario's drill passes).
	HyperVDrillCorrupt = "drill-corrupt"
)

// HyperV makes host n answer as a Windows Hyper-V host from the named
// scenario (see the HyperV constants): the powershell.exe stand-in on the
// host's PATH reads the scenario from the host's /srv/hyperv. Only an
// inventory entry with hypervisor = "hyperv" sends it PowerShell; libvirt
// on the host is untouched. The healthy scenario is restored when the test
// ends, so a restart or a fault never outlives its test.
func (l *Lab) HyperV(t testing.TB, n int, scenario string) {
	t.Helper()
	t.Cleanup(func() { l.cleanupVerb(t, "hyperv", strconv.Itoa(n), HyperVHealthy) })
	l.verb(t, "hyperv", strconv.Itoa(n), scenario)
}
