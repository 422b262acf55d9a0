package tui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/confirm"
	"github.com/hvconsole/hvconsole/tui/eventlog"
	"github.com/hvconsole/hvconsole/tui/picker"
)

// Driller is implemented by an Actions that runs restore drills (the D
// key); *actions.Runner does. An Actions without it makes D say so.
type Driller interface {
	Drill(ctx context.Context, req actions.DrillRequest) probes.DrillResult
}

var _ Driller = (*actions.Runner)(nil)

// drillProgressMsg is one progress report of a running drill; ch is where
// the next one comes from.
type drillProgressMsg struct {
	p  actions.DrillProgress
	ch <-chan actions.DrillProgress
}

// drillDoneMsg carries a finished drill.
type drillDoneMsg struct {
	host string
	res  probes.DrillResult
}

// openDrill starts the drill flow on the selected host: the picker of its
// backup specs, then the confirmation. D on a host whose drill runs
// cancels that drill instead (the action layer then removes its copy).
func (m Model) openDrill() (Model, tea.Cmd) {
	h := m.current()
	if h == nil {
		m.note = "drill: no host selected"
		return m, nil
	}
	if cancel, ok := m.drills[h.Name]; ok {
		cancel()
		m.note = "cancelling the restore drill on " + h.Name
		return m, nil
	}
	if _, ok := m.opts.Actions.(Driller); !ok {
		m.note = "restore drills not available"
		return m, nil
	}
	if m.table.Busy(h.Name) {
		m.note = "drill unavailable: an action is still running on " + h.Name
		return m, nil
	}
	hs, why := m.inventory([]string{h.Name})
	if why != "" {
		m.note = "drill unavailable: " + why
		return m, nil
	}
	choices := drillChoices(hs[0])
	if len(choices) == 0 {
		m.note = "drill unavailable: no backup specs on " + h.Name
		return m, nil
	}
	items := make([]string, len(choices))
	hint := "on " + h.Name + " (L1: restore a copy, verify, delete"
	for i, c := range choices {
		items[i] = c.spec.Name
		if c.level == remote.DrillL2 {
			items[i] += " · L2 boot"
			hint = "on " + h.Name + " (L1: restore, verify, delete; L2: also boot"
		}
	}
	m.flow = flow{hosts: hs, drill: true, drillChoices: choices}
	m.picker = picker.New(m.th, m.keys, "Restore drill of which backup?", hint+")", items, 0)
	m.overlay = overlayDrillPick
	m.layout()
	return m, nil
}

// drillChoice is one line of the drill picker: a spec at a level.
type drillChoice struct {
	spec  hosts.Backup
	level int
}

// drillChoices are h's drills: L1 of every spec, and L2 after it for a
// spec with drill = "boot" on a libvirt host (whether the host has KVM is
// known only when the drill asks libvirt; it is refused then if not).
func drillChoices(h hosts.Host) []drillChoice {
	var out []drillChoice
	for _, b := range h.Backups {
		out = append(out, drillChoice{b, remote.DrillL1})
		if b.Drill == hosts.DrillBoot && h.Hypervisor != hosts.KindHyperV {
			out = append(out, drillChoice{b, remote.DrillL2})
		}
	}
	return out
}

// drillWhat says what a drill at level does on h, for the confirmation:
// the plan's one wording (actions.DrillPlan) on one line.
func drillWhat(h hosts.Host, c drillChoice) string {
	return fmt.Sprintf("L%d: %s (D again cancels)", c.level, strings.Join(actions.DrillPlan(h, c.spec, c.level), ", "))
}

// openDrillConfirm shows what the drill will do on the host.
func (m Model) openDrillConfirm(c drillChoice) (Model, tea.Cmd) {
	h := m.flow.hosts[0]
	m.flow.unit, m.flow.drillLevel = c.spec.Name, c.level
	m.confirm = confirm.New(m.th, "Restore drill", c.spec.Name, []confirm.Target{{Host: h.Name, Command: drillWhat(h, c)}}).
		WithLabels(confirm.Labels{Title: fmt.Sprintf("Restore drill (L%d) of %s on %s", c.level, c.spec.Name, h.Name), Subject: "Backup"})
	m.overlay = overlayConfirm
	m.layout()
	return m, nil
}

// afterDrillConfirm runs or cancels the drill once the dialog is decided.
func (m Model) afterDrillConfirm() (Model, tea.Cmd) {
	f := m.flow
	switch m.confirm.Outcome() {
	case confirm.Cancelled:
		m.closeOverlay()
		m.note = "drill cancelled"
		act := m.opts.Actions
		return m, func() tea.Msg {
			act.Refuse(f.hosts, actions.ActionDrill, []string{f.unit, fmt.Sprintf("L%d", f.drillLevel)}, actions.ErrCancelled)
			return nil
		}
	case confirm.Confirmed:
		m.closeOverlay()
		return m.startDrill(f.hosts[0], f.unit, f.drillLevel)
	}
	return m, nil
}

// startDrill marks the row busy and runs the drill under a context D can
// cancel; progress comes back through a channel drained by a re-issued
// command, the result as drillDoneMsg.
func (m Model) startDrill(h hosts.Host, spec string, level int) (Model, tea.Cmd) {
	d, _ := m.opts.Actions.(Driller)
	ctx, cancel := context.WithCancel(m.ctx)
	if m.drills == nil {
		m.drills = map[string]context.CancelFunc{}
	}
	m.drills[h.Name] = cancel
	busy := "drilling" + m.th.Glyphs.Ellipsis
	if m.th.Glyphs.Bracket {
		busy = "drilling..."
	}
	m.table.SetBusy([]string{h.Name}, busy)
	m.note = "restore drill of " + spec + " on " + h.Name + " started (D cancels)"
	ch := make(chan actions.DrillProgress, 8)
	run := func() tea.Msg {
		defer cancel()
		defer close(ch)
		res := d.Drill(ctx, actions.DrillRequest{Host: h, Backup: spec, Level: level,
			Progress: func(p actions.DrillProgress) {
				select {
				case ch <- p:
				default: // the console is behind: this report is dropped, the next one comes
				}
			}})
		return drillDoneMsg{host: h.Name, res: res}
	}
	return m, tea.Batch(run, waitDrillProgress(ch))
}

func waitDrillProgress(ch <-chan actions.DrillProgress) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return nil
		}
		return drillProgressMsg{p: p, ch: ch}
	}
}

// applyDrillProgress shows the drill's phase and bytes in the footer note.
func (m Model) applyDrillProgress(msg drillProgressMsg) (tea.Model, tea.Cmd) {
	p := msg.p
	note := "drill of " + p.Spec + " on " + p.Host + ": " + p.Phase
	if p.Phase == actions.PhaseCopy && p.Total > 0 {
		note += fmt.Sprintf(" %.0f%% (%d of %d MiB)", 100*float64(p.Bytes)/float64(p.Total), p.Bytes>>20, p.Total>>20)
	}
	m.note = note
	return m, waitDrillProgress(msg.ch)
}

// applyDrill ends the row's busy state and logs the outcome.
func (m Model) applyDrill(msg drillDoneMsg) (tea.Model, tea.Cmd) {
	delete(m.drills, msg.host)
	m.table.ClearBusy([]string{msg.host})
	r := msg.res
	m.log.Append(eventlog.Event{Time: m.now(), Host: msg.host, Action: actions.ActionDrill,
		Failed:    r.Outcome == probes.DrillFailed || r.Outcome == probes.DrillUnknown || r.Outcome == "refused",
		Cancelled: r.Outcome == probes.DrillCancelled, Summary: r.Summary()})
	m.events.Added(1)
	m.note = r.Summary()
	return m, m.scheduleTick()
}
