package tui

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// The footer never counts a restart whose exit status never came as failed.
func TestRestartNote(t *testing.T) {
	ok := actions.RestartResult{BackOK: true}
	failed := actions.RestartResult{Err: errors.New("exit status 1")}
	unknown := actions.RestartResult{Err: fmt.Errorf("exec: %w: session closed locally", probes.ErrExitUnknown)}
	tests := []struct {
		results []actions.RestartResult
		want    string
	}{
		{[]actions.RestartResult{ok, ok}, "restart of libvirtd: 2 back OK"},
		{[]actions.RestartResult{ok, failed}, "restart of libvirtd: 1 back OK, 1 failed (see events)"},
		{[]actions.RestartResult{ok, unknown}, "restart of libvirtd: 1 back OK, 1 outcome unknown (see events)"},
		{[]actions.RestartResult{failed, unknown}, "restart of libvirtd: 0 back OK, 1 failed, 1 outcome unknown (see events)"},
	}
	for _, tc := range tests {
		if got := restartNote(restartDoneMsg{unit: "libvirtd", results: tc.results}); got != tc.want {
			t.Errorf("note = %q, want %q", got, tc.want)
		}
	}
}
