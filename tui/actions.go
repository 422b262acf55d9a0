package tui

import (
	"context"
	"errors"
	"slices"
	"strconv"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/eventlog"
	"github.com/hvconsole/hvconsole/tui/fleet"
)

// Actions is what the console asks of the action layer; *actions.Runner
// satisfies it. The layer enforces read-only mode and the allow-list and
// writes the audit log itself: the console only asks, in a tea.Cmd, never
// from Update.
type Actions interface {
	// ReadOnly reports whether mutating actions are refused.
	ReadOnly() bool
	// Restart restarts unit on every host and verifies the hypervisor came
	// back; one result per host, in order.
	Restart(ctx context.Context, hs []hosts.Host, unit string) []actions.RestartResult
	// Refuse records actions that were not carried out (the operator
	// cancelled) and returns one error per host.
	Refuse(hs []hosts.Host, action string, args []string, reason error) []error
	// Journal returns the last lines of unit's journal on h.
	Journal(ctx context.Context, h hosts.Host, unit string) (string, error)
}

// The real action layer must keep satisfying Actions.
var _ Actions = (*actions.Runner)(nil)

// BackupRefresher is implemented by a Source that can run the backups
// check on demand (the b key); a Source without it makes b say so.
type BackupRefresher interface {
	// RefreshBackups runs the backups check on the named hosts now.
	RefreshBackups(names ...string)
}

// restartDoneMsg carries the results of a restart started by the console.
type restartDoneMsg struct {
	names   []string
	unit    string
	results []actions.RestartResult
}

// refusedMsg carries the action layer's answer to a cancelled action.
type refusedMsg struct {
	names []string
	unit  string
	errs  []error
}

// journalMsg carries a journal read; gen ties it to the pane that asked,
// so a late answer for a pane since closed is dropped.
type journalMsg struct {
	gen  int
	text string
	err  error
}

// restartCmd runs the restart off the UI goroutine. It captures values
// only: the hosts, the unit, the Actions value and the console's context.
func restartCmd(ctx context.Context, act Actions, hs []hosts.Host, unit string) tea.Cmd {
	names := hostNames(hs)
	return func() tea.Msg {
		return restartDoneMsg{names: names, unit: unit, results: act.Restart(ctx, hs, unit)}
	}
}

// refuseCmd records a cancelled restart in the audit log.
func refuseCmd(act Actions, hs []hosts.Host, unit string) tea.Cmd {
	names := hostNames(hs)
	return func() tea.Msg {
		errs := act.Refuse(hs, actions.ActionRestart, []string{unit}, actions.ErrCancelled)
		return refusedMsg{names: names, unit: unit, errs: errs}
	}
}

// journalCmd reads a journal; the action layer bounds it with a deadline.
func journalCmd(ctx context.Context, act Actions, h hosts.Host, unit string, gen int) tea.Cmd {
	return func() tea.Msg {
		text, err := act.Journal(ctx, h, unit)
		return journalMsg{gen: gen, text: text, err: err}
	}
}

// backupsCmd asks the Source to run the backups check now.
func backupsCmd(br BackupRefresher, names []string) tea.Cmd {
	return func() tea.Msg { br.RefreshBackups(names...); return nil }
}

func hostNames(hs []hosts.Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

// applyRestart turns each result into an event, ends the rows' busy state
// and re-probes the hosts so the table shows their state now.
func (m Model) applyRestart(msg restartDoneMsg) (tea.Model, tea.Cmd) {
	m.table.ClearBusy(msg.names)
	evs := make([]eventlog.Event, 0, len(msg.results))
	for _, r := range msg.results {
		evs = append(evs, eventlog.Event{Time: m.now(), Host: r.Host, Action: actions.ActionRestart,
			Failed: !r.OK(), Summary: r.Summary()})
	}
	m.log.Append(evs...)
	m.events.Added(len(evs))
	m.note = restartNote(msg)
	var cmd tea.Cmd
	if src := m.src; src != nil {
		names := msg.names
		cmd = func() tea.Msg { src.Refresh(names...); return nil }
	}
	return m, tea.Batch(cmd, m.scheduleTick())
}

// restartNote sums a restart up for the footer: "restart of libvirtd:
// 2 back OK, 1 failed, 1 outcome unknown (see events)". A restart whose
// exit status never came is not counted as failed: it may have run.
func restartNote(msg restartDoneMsg) string {
	ok, unknown := 0, 0
	for _, r := range msg.results {
		switch {
		case r.OK():
			ok++
		case r.Unconfirmed():
			unknown++
		}
	}
	note := "restart of " + msg.unit + ": " + strconv.Itoa(ok) + " back OK"
	if failed := len(msg.results) - ok - unknown; failed > 0 {
		note += ", " + strconv.Itoa(failed) + " failed"
	}
	if unknown > 0 {
		note += ", " + strconv.Itoa(unknown) + " outcome unknown"
	}
	if ok < len(msg.results) {
		note += " (see events)"
	}
	return note
}

// applyRefused logs the audit layer's refusals: a cancellation quietly, any
// other reason highlighted, in the action layer's sentence for a refused
// restart (RestartResult.Summary), as a refusal among a restart's results
// and the CLI say it.
func (m Model) applyRefused(msg refusedMsg) (tea.Model, tea.Cmd) {
	evs := make([]eventlog.Event, 0, len(msg.errs))
	for i, err := range msg.errs {
		host := ""
		if i < len(msg.names) {
			host = msg.names[i]
		}
		refused := actions.RestartResult{Host: host, Unit: msg.unit, Exit: -1, Err: err}
		e := eventlog.Event{Time: m.now(), Host: host, Action: actions.ActionRestart, Failed: true,
			Summary: refused.Summary()}
		if errors.Is(err, actions.ErrCancelled) {
			e.Failed, e.Cancelled, e.Summary = false, true, "restart of "+msg.unit+" cancelled"
		}
		evs = append(evs, e)
	}
	m.log.Append(evs...)
	m.events.Added(len(evs))
	return m, nil
}

// applyJournal fills the journal pane if it is still the one that asked.
func (m Model) applyJournal(msg journalMsg) (tea.Model, tea.Cmd) {
	if msg.gen == m.journalGen && m.overlay == overlayJournal {
		m.journal.SetText(msg.text, msg.err)
	}
	return m, nil
}

// targets are the hosts an action applies to: the marked ones, else the
// selected one.
func (m Model) targets() []string {
	if names := m.table.Marked(); len(names) > 0 {
		return names
	}
	if h := m.current(); h != nil {
		return []string{h.Name}
	}
	return nil
}

// current is the host the operator is looking at: the zoomed one, else
// the table's selection.
func (m Model) current() *fleet.Host {
	if m.zoom && m.pane.Host() != nil {
		return m.pane.Host()
	}
	return m.table.Selected()
}

// inventory resolves names to inventory entries; a host only known from a
// report has no allow-list and cannot be acted on.
func (m Model) inventory(names []string) ([]hosts.Host, string) {
	out := make([]hosts.Host, 0, len(names))
	for _, n := range names {
		h, ok := m.inv[n]
		if !ok {
			return nil, n + " is not in the inventory"
		}
		out = append(out, h)
	}
	return out, ""
}

// commonServices is the allow-list every host shares, in the first host's
// order: a bulk restart may only name a unit allowed everywhere.
func commonServices(hs []hosts.Host) []string {
	if len(hs) == 0 {
		return nil
	}
	var out []string
	for _, s := range hs[0].Services {
		if !remote.ValidUnit(s) || slices.Contains(out, s) {
			continue
		}
		if !slices.ContainsFunc(hs[1:], func(h hosts.Host) bool { return !h.Allowed(s) }) {
			out = append(out, s)
		}
	}
	return out
}

// journalUnits are the units whose journal may be read on h: its
// hypervisor units first, then its allow-listed services.
func journalUnits(h hosts.Host) []string {
	var out []string
	for _, u := range slices.Concat(h.Units, h.Services) {
		if remote.ValidUnit(u) && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}
