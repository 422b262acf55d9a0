package tui

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/probes/probetest"
)

// auditFull is the chain of an audit log that cannot be written.
var auditFull = fmt.Errorf("%w: %w", actions.ErrNoAudit,
	fmt.Errorf("actions: audit write: %w", &os.PathError{Op: "write", Path: "/var/log/hvconsole/audit.jsonl", Err: syscall.ENOSPC}))

// Every note and event the console builds from an error shows words: what
// happened, never the chain of Go packages that carried it (the details
// view and the audit log keep that).
func TestNotesAreWords(t *testing.T) {
	inv := actionInventory(4)
	tests := []struct {
		name string
		msg  func(m Model) any
		want string // in the footer note or the event log
	}{
		{"restart failed", func(Model) any {
			return restartDoneMsg{names: []string{"kvm-03"}, unit: "libvirtd", results: []actions.RestartResult{
				{Host: "kvm-03", Unit: "libvirtd", Exit: -1, Err: fmt.Errorf("exec: %w", probetest.DeadLink("kvm-03"))}}}
		}, "restart of libvirtd failed: exec: connection refused"},
		{"restart refused", func(Model) any {
			return refusedMsg{names: []string{"kvm-03"}, unit: "libvirtd",
				errs: []error{&actions.RefusedError{Host: "kvm-03", Action: actions.ActionRestart, Reason: auditFull}}}
		}, "restart of libvirtd refused: audit log not writable: write /var/log/hvconsole/audit.jsonl: no space left on device"},
		{"VM action failed", func(Model) any {
			return vmDoneMsg{host: "kvm-03", op: remote.VMStart, results: []actions.VMResult{
				{Host: "kvm-03", VM: "web", Op: remote.VMStart, Exit: -1, Err: fmt.Errorf("libvirt: %w", probetest.DeadLink("kvm-03"))}}}
		}, "start of VM web failed: connection refused"},
		{"ack not audited", func(Model) any { return ackMadeMsg{err: auditFull} },
			"ack not made: the audit log refused it: audit log not writable: write /var/log/hvconsole/audit.jsonl: no space left on device"},
		{"ack end not audited", func(Model) any { return ackAuditMsg{err: auditFull} },
			"ack end not in the audit log: audit log not writable: write /var/log/hvconsole/audit.jsonl: no space"},
		{"ack refused by the collectors", func(Model) any {
			return ackSentMsg{what: "ack", err: errors.Join(fmt.Errorf("attach: ack kvm-03: %w", probetest.DeadLink("collector-1")),
				errors.New("ack: kvm-04 has no problem to acknowledge"))}
		}, "ack refused: connection refused; kvm-04 has no problem to acknowledge"},
		{"shell failed", func(Model) any {
			return shellDoneMsg{host: "kvm-03", err: fmt.Errorf("shell: %w", &os.PathError{Op: "open", Path: "/dev/tty", Err: syscall.ENXIO})}
		}, "shell: open /dev/tty: no such device or address"},
		{"journal unreadable", func(m Model) any {
			return journalMsg{gen: m.journalGen, err: fmt.Errorf("actions: journal on kvm-03: %w", probetest.DeadLink("kvm-03"))}
		}, "!! connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newActionModel(t, inv, newFakeActions(), nil, 200, 40)
			if strings.HasPrefix(tc.want, "!!") {
				m = pressAll(t, m, "j", "j", "l", "enter") // the journal pane of kvm-03
			}
			m = step(t, m, tc.msg(m))
			screen := plain(m)
			shown := []string{m.note, strings.Join(strings.Fields(screen), " ")}
			if n := m.log.Len(); n > 0 {
				shown = append(shown, m.log.At(n-1).Summary)
			}
			if !strings.Contains(strings.Join(shown, "\n"), tc.want) {
				t.Errorf("neither the note, the last event nor the screen shows %q: %q", tc.want, shown)
			}
			for _, s := range shown {
				probetest.AssertWords(t, "note, event or screen", s)
			}
		})
	}
}

// TestGoldenWords shows failed and refused restarts in the event log and
// the footer at fixed sizes; see TestGoldenView for -update.
func TestGoldenWords(t *testing.T) {
	inv := actionInventory(6)
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"118x24", 118, 24}} {
		t.Run("restart_errors_"+size.name, func(t *testing.T) {
			m := mixedFleet(t, newActionModel(t, inv, newFakeActions(), nil, size.w, size.h), inv)
			m = step(t, m, refusedMsg{names: []string{"kvm-04"}, unit: "libvirtd",
				errs: []error{&actions.RefusedError{Host: "kvm-04", Action: actions.ActionRestart, Reason: auditFull}}})
			m = step(t, m, restartDoneMsg{names: []string{"kvm-03", "kvm-05"}, unit: "libvirtd", results: []actions.RestartResult{
				{Host: "kvm-03", Unit: "libvirtd", Exit: -1, Err: fmt.Errorf("connect: %w", probetest.DeadLink("kvm-03"))},
				{Host: "kvm-05", Unit: "libvirtd", Exit: -1, Err: &actions.RefusedError{Host: "kvm-05", Action: actions.ActionRestart,
					Reason: fmt.Errorf("%w: %q", actions.ErrNotAllowed, "libvirtd")}}}})
			m = pressAll(t, m, "tab", "tab") // the event log, full width below the grid's width
			golden.RequireEqual(t, []byte(plain(m)))
		})
	}
}

// A refused restart in the event log reads as the action layer words it:
// the same line as a refusal among a restart's results and as the CLI's
// (RestartResult.Summary), whatever the reason; a cancel is the console's
// quiet "cancelled".
func TestRefusedRestartIsTheActionLayersSentence(t *testing.T) {
	inv := actionInventory(4)
	lastEvent := func(m Model) string { return m.log.At(m.log.Len() - 1).Summary }
	for _, reason := range []error{actions.ErrReadOnly, fmt.Errorf("%w: %q", actions.ErrNotAllowed, "libvirtd"), auditFull,
		fmt.Errorf("%w: %w", actions.ErrNoAudit, errors.New("\x1b]0;x\x07disk\u200b full\u202e"))} {
		t.Run(reason.Error(), func(t *testing.T) {
			refused := &actions.RefusedError{Host: "kvm-03", Action: actions.ActionRestart, Reason: reason}
			// two models: the event log is shared by a model's copies
			asked := step(t, newActionModel(t, inv, newFakeActions(), nil, 200, 40),
				refusedMsg{names: []string{"kvm-03"}, unit: "libvirtd", errs: []error{refused}})
			ran := step(t, newActionModel(t, inv, newFakeActions(), nil, 200, 40), restartDoneMsg{names: []string{"kvm-03"}, unit: "libvirtd",
				results: []actions.RestartResult{{Host: "kvm-03", Unit: "libvirtd", Exit: -1, Err: refused}}})
			if got, want := lastEvent(asked), lastEvent(ran); got != want || !strings.HasPrefix(got, "restart of libvirtd refused: ") {
				t.Errorf("refused restart event %q, want the restart result's %q", got, want)
			}
		})
	}
	m := step(t, newActionModel(t, inv, newFakeActions(), nil, 200, 40), refusedMsg{names: []string{"kvm-03"}, unit: "libvirtd",
		errs: []error{&actions.RefusedError{Host: "kvm-03", Action: actions.ActionRestart, Reason: actions.ErrCancelled}}})
	if e := m.log.At(m.log.Len() - 1); e.Summary != "restart of libvirtd cancelled" || !e.Cancelled || e.Failed {
		t.Errorf("cancelled restart event %+v", e)
	}
}
