package hostpane

import (
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/theme"
)

func TestVMProblem(t *testing.T) {
	tests := []struct {
		vm   probes.VM
		want bool
	}{
		{probes.VM{State: "running", Reason: "booted"}, false},
		{probes.VM{State: "paused", Reason: "user"}, false},
		{probes.VM{State: "paused", Reason: "ioerror"}, true},
		{probes.VM{State: "crashed", Reason: "panicked"}, true},
		{probes.VM{State: "shutoff", Reason: "crashed"}, true},
		{probes.VM{State: "shutoff", Reason: "shutdown"}, false},
		{probes.VM{State: "shutoff", Reason: "shutdown", Autostart: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.vm.State+"/"+tt.vm.Reason, func(t *testing.T) {
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
