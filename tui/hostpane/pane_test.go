package hostpane

import (
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// The pane marks exactly the VMs the probes rated not OK, on either kind
// of host, so it never disagrees with the vms check.
func TestVMProblem(t *testing.T) {
	libvirt := func(state, reason string, autostart bool) probes.VM {
		v := probes.VM{State: state, Reason: reason, Autostart: autostart}
		v.Status = probes.VMStatus(v)
		return v
	}
	tests := []struct {
		name string
		vm   probes.VM
		want bool
	}{
		{"running", libvirt("running", "booted", false), false},
		{"paused by the user", libvirt("paused", "user", false), false},
		{"paused on I/O error", libvirt("paused", "ioerror", false), true},
		{"crashed", libvirt("crashed", "panicked", false), true},
		{"shut off (crashed)", libvirt("shutoff", "crashed", false), true},
		{"shut off", libvirt("shutoff", "shutdown", false), false},
		{"autostart VM down", libvirt("shutoff", "shutdown", true), true},
		{"Hyper-V saved", probes.VM{State: "saved", Status: probes.WARN}, true},
		{"Hyper-V critical", probes.VM{State: "running", Reason: "critical", Status: probes.CRIT}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VMProblem(tt.vm); got != tt.want {
				t.Fatalf("VMProblem = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSparkline(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   []time.Duration
		g    theme.Glyphs
		want string
	}{
		{"utf8", []time.Duration{ms, 0, 8 * ms, 4 * ms}, theme.UTF8, "▁×█▄"},
		{"ascii", []time.Duration{ms, 0, 8 * ms}, theme.ASCII, "_x#"},
		{"empty", nil, theme.UTF8, ""},
		{"all missing", []time.Duration{0, 0}, theme.UTF8, "××"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sparkline(tt.in, tt.g); got != tt.want {
				t.Fatalf("Sparkline = %q, want %q", got, tt.want)
			}
		})
	}
}
