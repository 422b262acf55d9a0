package tui

import (
	"strconv"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/confirm"
	"github.com/hvconsole/hvconsole/tui/details"
	"github.com/hvconsole/hvconsole/tui/journal"
	"github.com/hvconsole/hvconsole/tui/picker"
)

// overlayKind is the modal view on top of the console, if any. While one
// is open it takes every key but ctrl+c.
type overlayKind int

const (
	overlayNone overlayKind = iota
	overlayRestartPick
	overlayJournalPick
	overlayConfirm
	overlayJournal
	overlayDrillPick
	overlayDetails
	overlayAck
	overlayVMPick
	overlayIncidents
)

// flow is the state of the action the operator is setting up: the hosts
// it applies to and the unit picked.
type flow struct {
	hosts []hosts.Host
	unit  string // the service, or the backup spec of a drill
	drill bool   // a restore drill (drill.go), not a restart
	// drillChoices are the drill picker's lines; drillLevel the level
	// confirmed (drill.go).
	drillChoices []drillChoice
	drillLevel   int
	// vmChoices are the VM picker's lines; vm the one confirmed (vms.go).
	vmChoices []vmChoice
	vm        *vmChoice
}

// overlayKey routes a key to the open overlay and acts on its outcome.
// ctrl+c cancels the overlay as esc does: in the middle of a dialog it
// means "stop this", never "quit the console with the dialog open".
func (m Model) overlayKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if k.String() == "ctrl+c" {
		k = tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	switch m.overlay {
	case overlayRestartPick, overlayJournalPick, overlayDrillPick, overlayVMPick:
		m.picker, _ = m.picker.Update(k)
		return m.afterPick()
	case overlayConfirm:
		m.confirm, _ = m.confirm.Update(k)
		return m.afterConfirm()
	case overlayAck:
		m.ackForm, _ = m.ackForm.Update(k)
		return m.afterAckForm()
	case overlayJournal, overlayIncidents:
		if s := k.String(); s == "esc" || s == "q" || (s == "i" && m.overlay == overlayIncidents) {
			m.closeOverlay()
			return m, nil
		}
		m.journal, _ = m.journal.Update(k)
	case overlayDetails:
		switch k.String() {
		case "esc", "q", "d":
			m.closeOverlay()
		case "c":
			m.note = "details of " + m.details.Host() + " copied (OSC 52: the terminal must allow it)"
			return m, tea.SetClipboard(m.details.Copy())
		default:
			m.details, _ = m.details.Update(k)
		}
	}
	return m, nil
}

// openDetails shows the full text of the host the operator looks at.
func (m Model) openDetails() (Model, tea.Cmd) {
	h := m.current()
	if h == nil {
		m.note = "details: no host selected"
		return m, nil
	}
	m.details = details.New(m.th, m.keys, h, m.now(), runbook(m.opts.RunbookURL))
	m.overlay = overlayDetails
	m.layout()
	return m, nil
}

func (m *Model) closeOverlay() {
	m.overlay = overlayNone
	m.flow = flow{}
	m.journalGen++ // a journal read still in flight is now stale
}

// openRestart starts the restart flow for the marked hosts, else the
// selected one: first the picker of services allowed on all of them.
func (m Model) openRestart() (Model, tea.Cmd) {
	names := m.targets()
	if len(names) == 0 {
		m.note = "restart: no host selected"
		return m, nil
	}
	for _, n := range names {
		if m.table.Busy(n) {
			m.note = "restart unavailable: an action is still running on " + n
			return m, nil
		}
	}
	hs, why := m.inventory(names)
	if why != "" {
		m.note = "restart unavailable: " + why
		return m, nil
	}
	units := commonServices(hs)
	if len(units) == 0 {
		m.note = "restart unavailable: no service is on the allow-list of " + scope(names)
		return m, nil
	}
	m.flow = flow{hosts: hs}
	hint := "on " + confirm.JoinLimited(names, 50, m.th.Glyphs.Ellipsis)
	m.picker = picker.New(m.th, m.keys, "Restart which service?", hint, units, 0)
	m.overlay = overlayRestartPick
	m.layout()
	return m, nil
}

// hostCount is the host when there is one, else how many.
func hostCount(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strconv.Itoa(len(names)) + " hosts"
}

func scope(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return "every one of the " + strconv.Itoa(len(names)) + " marked hosts"
}

// openJournal starts the journal flow for the selected host: the unit
// picker (skipped when there is one unit), then the pane.
func (m Model) openJournal() (Model, tea.Cmd) {
	h := m.current()
	if h == nil {
		m.note = "journal: no host selected"
		return m, nil
	}
	hs, why := m.inventory([]string{h.Name})
	if why != "" {
		m.note = "journal unavailable: " + why
		return m, nil
	}
	units := journalUnits(hs[0])
	switch len(units) {
	case 0:
		m.note = "journal unavailable: no units configured for " + h.Name
		return m, nil
	case 1:
		return m.showJournal(hs[0], units[0])
	}
	m.flow = flow{hosts: hs}
	m.picker = picker.New(m.th, m.keys, "Journal of which unit?", "on "+h.Name, units, 0)
	m.overlay = overlayJournalPick
	m.layout()
	return m, nil
}

func (m Model) showJournal(h hosts.Host, unit string) (Model, tea.Cmd) {
	m.journalGen++
	m.journal = journal.New(m.th, m.keys, h.Name, unit)
	m.overlay = overlayJournal
	m.flow = flow{}
	m.layout()
	return m, journalCmd(m.ctx, m.opts.Actions, h, unit, m.journalGen)
}

func (m Model) afterPick() (Model, tea.Cmd) {
	switch m.picker.Outcome() {
	case picker.Cancelled:
		m.closeOverlay()
	case picker.Chosen:
		unit, _ := m.picker.Chosen()
		if m.overlay == overlayJournalPick {
			return m.showJournal(m.flow.hosts[0], unit)
		}
		if m.overlay == overlayDrillPick {
			return m.openDrillConfirm(m.flow.drillChoices[m.picker.Cursor()])
		}
		if m.overlay == overlayVMPick {
			return m.openVMConfirm(m.flow.vmChoices[m.picker.Cursor()])
		}
		return m.openConfirm(unit)
	}
	return m, nil
}

// openConfirm shows the confirmation with each host's exact command.
func (m Model) openConfirm(unit string) (Model, tea.Cmd) {
	targets := make([]confirm.Target, 0, len(m.flow.hosts))
	for _, h := range m.flow.hosts {
		cmd, err := probes.KindOf(h).RestartCommand(h, unit)
		if err != nil {
			m.closeOverlay()
			m.note = "restart unavailable: " + probes.Words(err)
			return m, nil
		}
		targets = append(targets, confirm.Target{Host: h.Name, Command: cmd})
	}
	m.flow.unit = unit
	m.confirm = confirm.New(m.th, "Restart", unit, targets)
	m.overlay = overlayConfirm
	m.layout()
	return m, nil
}

// afterConfirm runs or cancels the restart once the dialog is decided.
// Both go through the action layer in a command: it audits either way.
func (m Model) afterConfirm() (Model, tea.Cmd) {
	if m.flow.drill {
		return m.afterDrillConfirm()
	}
	if m.flow.vm != nil {
		return m.afterVMConfirm()
	}
	f := m.flow
	switch m.confirm.Outcome() {
	case confirm.Cancelled:
		m.closeOverlay()
		m.note = "restart cancelled"
		return m, refuseCmd(m.opts.Actions, f.hosts, f.unit)
	case confirm.Confirmed:
		m.closeOverlay()
		return m.startRestart(f.hosts, f.unit)
	}
	return m, nil
}

// startRestart marks the rows busy and runs the restart. Marks are cleared
// so the next x cannot repeat a bulk action by accident.
func (m Model) startRestart(hs []hosts.Host, unit string) (Model, tea.Cmd) {
	names := hostNames(hs)
	busy := "restarting" + m.th.Glyphs.Ellipsis
	if m.th.Glyphs.Bracket {
		busy = "restarting..."
	}
	m.table.SetBusy(names, busy)
	m.table.ClearMarks()
	m.note = "restarting " + unit + " on " + hostCount(names)
	return m, restartCmd(m.ctx, m.opts.Actions, hs, unit)
}

// backups runs the backups check now on the marked or selected hosts.
func (m Model) backups() (Model, tea.Cmd) {
	br, ok := m.src.(BackupRefresher)
	if !ok {
		m.note = "backup checks not available"
		return m, nil
	}
	names := m.targets()
	if len(names) == 0 {
		m.note = "backups: no host selected"
		return m, nil
	}
	m.note = "checking backups on " + confirm.JoinLimited(names, 40, m.th.Glyphs.Ellipsis)
	m.await(true, names)
	return m, backupsCmd(br, names)
}
