package simfleet

import (
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"
)

// Simulated Hyper-V hosts: Windows Server with its built-in OpenSSH server.
// They answer only the exact powershell.exe -EncodedCommand strings that
// hosts/powershell*.go builds (anything else gets cmd.exe's "is not
// recognized"), print JSON in PowerShell 7 shape from the state below, and
// refuse the libvirt channel. The Windows side is simulated from
// Microsoft's documented output shapes, not from a real host.

// HyperVBackupGlob is the backup spec path the generated config gives
// Hyper-V hosts; their backups are the world's backup set as .vhdx files.
const HyperVBackupGlob = `D:\Backups\*.vhdx`

const hvBackupDir = `D:\Backups`

// Windows service states as Get-Service names them.
const (
	svcRunning = "Running"
	svcStopped = "Stopped"
)

// hvWorld is a simulated Hyper-V host's state; Host.mu guards it. The
// libvirt world next to it still supplies the backup files.
type hvWorld struct {
	present    bool   // Win32_ComputerSystem.HypervisorPresent
	launchType string // the boot entry's hypervisorlaunchtype
	vmms       string
	os, osVer  string
	memTotalKB uint64
	memFreeKB  uint64
	cpus       int
	vms        []hvVM
	events     []hvEvent
}

// hvVM is one simulated Hyper-V VM; base is the state a timeline restores.
type hvVM struct {
	name, state, base, startAction string
	booted                         time.Time
}

// hvEvent is one entry of the Hyper-V-VMMS-Admin log.
type hvEvent struct {
	t     time.Time
	level string
	id    int
	msg   string
}

// hvEventCap bounds the simulated event log.
const hvEventCap = 40

// windowsVersions are the systems a simulated Hyper-V host may run.
var windowsVersions = []struct{ caption, version string }{
	{"Microsoft Windows Server 2022 Datacenter", "10.0.20348"},
	{"Microsoft Windows Server 2019 Standard", "10.0.17763"},
	{"Microsoft Windows Server 2025 Datacenter", "10.0.26100"},
}

// newHVWorld generates Hyper-V host idx's state from the fleet seed: every
// VM running with automatic start, but one Off that is started by hand.
func newHVWorld(seed int64, idx int, now time.Time) *hvWorld {
	rng := rand.New(rand.NewPCG(uint64(seed)^0x4879706572, uint64(idx)))
	v := windowsVersions[rng.IntN(len(windowsVersions))]
	w := &hvWorld{present: true, launchType: "Auto", vmms: svcRunning, os: v.caption, osVer: v.version,
		cpus: 16 << rng.IntN(3), memTotalKB: uint64(64<<rng.IntN(3)) * 1024 * 1024}
	w.memFreeKB = w.memTotalKB * uint64(30+rng.IntN(40)) / 100
	n := 3 + rng.IntN(4)
	for i, ni := range rng.Perm(len(vmNames))[:n] {
		vm := hvVM{name: vmNames[ni], state: "Running", startAction: "Start",
			booted: now.Add(-time.Duration(1+rng.IntN(400)) * time.Hour).Truncate(time.Second)}
		if i == n-1 {
			vm.state, vm.startAction = "Off", "Nothing"
		}
		vm.base = vm.state
		w.vms = append(w.vms, vm)
	}
	w.event(now.Add(-time.Duration(3+idx%40)*time.Hour), "Information", 14094, "The Virtual Machine Management service started successfully.")
	return w
}

func (w *hvWorld) event(t time.Time, level string, id int, msg string) {
	w.events = append(w.events, hvEvent{t, level, id, msg})
	if len(w.events) > hvEventCap {
		w.events = w.events[len(w.events)-hvEventCap:]
	}
}

func (w *hvWorld) vm(name string) (*hvVM, bool) {
	for i := range w.vms {
		if w.vms[i].name == name {
			return &w.vms[i], true
		}
	}
	return nil, false
}

// HyperVVM is a snapshot of one simulated Hyper-V VM.
type HyperVVM struct {
	Name string
	// State is Get-VM's State name ("Running", "Off", "RunningCritical").
	State string
	// AutomaticStartAction is "Start" or "Nothing".
	AutomaticStartAction string
}

// HyperVState is a snapshot of a simulated Hyper-V host, for tests and the
// demo's expectations.
type HyperVState struct {
	HypervisorPresent bool
	LaunchType        string
	// VMMS is the vmms service status: "Running" or "Stopped".
	VMMS string
	VMs  []HyperVVM
	// OS is the Windows caption and version the host reports.
	OS string
}

// IsHyperV reports whether the host is a simulated Hyper-V host.
func (h *Host) IsHyperV() bool { return h.hv != nil }

// HyperV returns a snapshot of a Hyper-V host's state; ok is false on a
// libvirt host.
func (h *Host) HyperV() (st HyperVState, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hv == nil {
		return HyperVState{}, false
	}
	st = HyperVState{HypervisorPresent: h.hv.present, LaunchType: h.hv.launchType, VMMS: h.hv.vmms,
		OS: h.hv.os + " " + h.hv.osVer}
	for _, v := range h.hv.vms {
		st.VMs = append(st.VMs, HyperVVM{v.name, v.state, v.startAction})
	}
	return st, true
}

// SetVMMSRunning stops (false) or starts (true) the Virtual Machine
// Management service: while it is stopped VMs keep running but Get-VM
// fails. Restart-Service vmms also starts it. No-op on libvirt hosts.
func (h *Host) SetVMMSRunning(running bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hv != nil {
		h.hv.setVMMS(running, time.Now())
	}
}

func (w *hvWorld) setVMMS(running bool, t time.Time) {
	switch {
	case running && w.vmms != svcRunning:
		w.vmms = svcRunning
		w.event(t, "Information", 14094, "The Virtual Machine Management service started successfully.")
	case !running && w.vmms == svcRunning:
		w.vmms = svcStopped
		w.event(t, "Information", 14098, "The Virtual Machine Management service is shutting down.")
	}
}

// SetLaunchTypeOff simulates a host rebooted with hypervisorlaunchtype Off
// (true): no hypervisor, every VM Off. false restores launch type Auto and
// a running hypervisor with the VMs back in their initial states.
func (h *Host) SetLaunchTypeOff(off bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hv == nil {
		return
	}
	h.hv.present = !off
	h.hv.launchType = map[bool]string{true: "Off", false: "Auto"}[off]
	for i := range h.hv.vms {
		v := &h.hv.vms[i]
		v.state = v.base
		if off {
			v.state = "Off"
		}
	}
	if off {
		h.hv.event(time.Now(), "Error", 3112, "The virtual machine could not be started because the hypervisor is not running.")
	}
}

// SetHyperVVMState puts a VM in a Get-VM state by name, e.g.
// "RunningCritical" (its storage became unreachable) or back to "Running".
func (h *Host) SetHyperVVMState(name, state string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hv == nil {
		return fmt.Errorf("simfleet: %s is not a Hyper-V host: %w", h.name, ErrNoVM)
	}
	v, ok := h.hv.vm(name)
	if !ok {
		return fmt.Errorf("simfleet: VM %q on %s: %w", name, h.name, ErrNoVM)
	}
	if strings.HasSuffix(state, "Critical") && !strings.HasSuffix(v.state, "Critical") {
		h.hv.event(time.Now(), "Error", 16300, fmt.Sprintf("'%s' lost access to its virtual hard disk.", name))
	}
	v.state = state
	return nil
}

// Timeline hooks: a daemon incident stops vmms, a VM crash makes a running
// VM RunningCritical; undoing them restores the state.

func (h *Host) hvFirstRunningVM() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, v := range h.hv.vms {
		if v.state == "Running" {
			return v.name
		}
	}
	return ""
}

func (h *Host) hvRestoreVM(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.hv.vm(name); ok && h.hv.present {
		v.state = v.base
	}
}

// hvBackups are the world's visible backup files as Windows .vhdx paths.
func (h *Host) hvBackups() []backupFile {
	var out []backupFile
	for _, b := range h.w.visibleBackups() {
		name := strings.TrimSuffix(path.Base(b.path), ".qcow2") + ".vhdx"
		out = append(out, backupFile{path: hvBackupDir + `\` + name, size: b.size, mtime: b.mtime, nightly: b.nightly})
	}
	slices.SortFunc(out, func(a, b backupFile) int { return b.mtime.Compare(a.mtime) })
	return out
}
