package probes

import (
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
)

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestStateWords(t *testing.T) {
	tests := []struct {
		state, reason int32
		word, why     string
	}{
		{int32(libvirt.DomainRunning), int32(libvirt.DomainRunningBooted), "running", "booted"},
		{int32(libvirt.DomainRunning), int32(libvirt.DomainRunningMigrationCanceled), "running", "migration-canceled"},
		{int32(libvirt.DomainRunning), int32(libvirt.DomainRunningPostcopyFailed), "running", "postcopy-failed"},
		{int32(libvirt.DomainBlocked), int32(libvirt.DomainBlockedUnknown), "blocked", "unknown"},
		{int32(libvirt.DomainPaused), int32(libvirt.DomainPausedUser), "paused", "user"},
		{int32(libvirt.DomainPaused), int32(libvirt.DomainPausedIoerror), "paused", "ioerror"},
		{int32(libvirt.DomainPaused), int32(libvirt.DomainPausedShuttingDown), "paused", "shutdown"},
		{int32(libvirt.DomainPaused), int32(libvirt.DomainPausedStartingUp), "paused", "starting-up"},
		{int32(libvirt.DomainPaused), int32(libvirt.DomainPausedAPIError), "paused", "api-error"},
		{int32(libvirt.DomainShutdown), int32(libvirt.DomainShutdownUser), "shutdown", "user"},
		{int32(libvirt.DomainShutoff), int32(libvirt.DomainShutoffCrashed), "shutoff", "crashed"},
		{int32(libvirt.DomainShutoff), int32(libvirt.DomainShutoffDaemon), "shutoff", "daemon"},
		{int32(libvirt.DomainCrashed), int32(libvirt.DomainCrashedPanicked), "crashed", "panicked"},
		{int32(libvirt.DomainPmsuspended), 0, "pmsuspended", "unknown"},
		{int32(libvirt.DomainNostate), 0, "nostate", "unknown"},
		{int32(libvirt.DomainPaused), 99, "paused", "reason-99"},
		{int32(libvirt.DomainRunning), -1, "running", "reason--1"},
		{42, 3, "state-42", "reason-3"},
	}
	for _, tt := range tests {
		t.Run(tt.word+"/"+tt.why, func(t *testing.T) {
			w, r := libvirtStateWords(tt.state, tt.reason)
			if w != tt.word || r != tt.why {
				t.Errorf("StateWords(%d, %d) = %q %q, want %q %q", tt.state, tt.reason, w, r, tt.word, tt.why)
			}
		})
	}
	// Every reason of every state has a word from libvirt's enums.
	last := map[libvirt.DomainState]int32{
		libvirt.DomainRunning: int32(libvirt.DomainRunningPostcopyFailed), libvirt.DomainPaused: int32(libvirt.DomainPausedAPIError),
		libvirt.DomainShutoff: int32(libvirt.DomainShutoffDaemon), libvirt.DomainCrashed: int32(libvirt.DomainCrashedPanicked),
		libvirt.DomainShutdown: int32(libvirt.DomainShutdownUser),
	}
	for st, max := range last {
		if got := len(reasonWords[st]); got != int(max)+1 {
			t.Errorf("state %d: %d reason words, libvirt has %d", st, got, max+1)
		}
	}
}

func TestVMStatus(t *testing.T) {
	tests := []struct {
		vm   VM
		want Status
	}{
		{VM{State: "running", Reason: "booted"}, OK},
		{VM{State: "running", Reason: "unpaused", Autostart: true}, OK},
		{VM{State: "running", Reason: "postcopy-failed"}, WARN},
		{VM{State: "blocked", Reason: "unknown"}, OK},
		{VM{State: "crashed", Reason: "panicked"}, CRIT},
		{VM{State: "crashed", Reason: "unknown"}, CRIT},
		{VM{State: "shutoff", Reason: "crashed"}, CRIT},
		{VM{State: "shutoff", Reason: "destroyed"}, OK},
		{VM{State: "shutoff", Reason: "shutdown"}, OK},
		{VM{State: "shutoff", Reason: "failed"}, OK},
		{VM{State: "shutoff", Reason: "shutdown", Autostart: true}, WARN},
		{VM{State: "shutoff", Reason: "crashed", Autostart: true}, CRIT},
		{VM{State: "shutdown", Reason: "user", Autostart: true}, OK},
		{VM{State: "pmsuspended", Reason: "unknown"}, OK},
		{VM{State: "nostate", Reason: "unknown", Autostart: true}, WARN},
		{VM{State: "state-9", Reason: "reason-0"}, UNKNOWN},
	}
	for _, pr := range []string{"ioerror", "watchdog", "crashed", "api-error", "postcopy-failed"} {
		tests = append(tests, struct {
			vm   VM
			want Status
		}{VM{State: "paused", Reason: pr}, WARN})
	}
	for _, pr := range []string{"unknown", "user", "migration", "save", "dump", "fromsnapshot", "shutdown",
		"snapshot", "starting-up", "postcopy"} {
		tests = append(tests, struct {
			vm   VM
			want Status
		}{VM{State: "paused", Reason: pr, Autostart: true}, OK})
	}
	for _, tt := range tests {
		t.Run(tt.vm.State+"/"+tt.vm.Reason, func(t *testing.T) {
			if got := VMStatus(tt.vm); got != tt.want {
				t.Errorf("VMStatus(%+v) = %v, want %v", tt.vm, got, tt.want)
			}
		})
	}
}

func TestVMSummary(t *testing.T) {
	tests := []struct {
		name string
		vms  []VM
		want Status
		line string
	}{
		{"none", nil, OK, "0 VMs"},
		{"one", []VM{{Name: "a", State: "running", Reason: "booted"}}, OK, "1 VM: 1 running"},
		{"issue example", []VM{
			{Name: "a", State: "running", Reason: "booted"}, {Name: "b", State: "running", Reason: "unpaused"},
			{Name: "c", State: "paused", Reason: "ioerror"}, {Name: "d", State: "crashed", Reason: "unknown"},
			{Name: "e", State: "shutoff", Reason: "destroyed"},
		}, CRIT, "VM d crashed; 5 VMs: 2 running, 1 paused (ioerror), 1 shutoff, 1 crashed"},
		{"paused mix", []VM{
			{Name: "a", State: "paused", Reason: "user"}, {Name: "b", State: "paused", Reason: "ioerror"},
			{Name: "c", State: "paused", Reason: "ioerror"},
		}, WARN, "VM b paused (ioerror) +1 more; 3 VMs: 3 paused (2 ioerror, 1 user)"},
		{"killed qemu", []VM{{Name: "a", State: "shutoff", Reason: "crashed"}}, CRIT, "VM a crashed; 1 VM: 1 shutoff (crashed)"},
		{"autostart down", []VM{{Name: "a", State: "shutoff", Reason: "shutdown", Autostart: true}},
			WARN, "VM a down (autostart); 1 VM: 1 shutoff; 1 autostart VM down"},
		{"user pause mentioned", []VM{{Name: "a", State: "paused", Reason: "user"}}, OK, "1 VM: 1 paused (user)"},
		{"undefined state", []VM{{Name: "a", State: "state-9", Reason: "reason-0"}}, UNKNOWN, "VM a state-9 (reason-0); 1 VM: 1 state-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, line, _ := VMSummary(tt.vms)
			if st != tt.want || line != tt.line {
				t.Errorf("VMSummary = %v %q, want %v %q", st, line, tt.want, tt.line)
			}
		})
	}
}
