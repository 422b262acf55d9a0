package tui

import (
	"strconv"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
)

// maxFilterLen bounds the filter text (a paste cannot grow it without end).
const maxFilterLen = 128

// handleKey routes a key press: the filter prompt takes every key while
// open; then global keys; then view-specific keys; then the focused pane.
func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.filtering {
		return m.filterKey(k)
	}
	if m.overlay != overlayNone {
		return m.overlayKey(k)
	}
	act := m.keys.Resolve(k, m.opts.ReadOnly, m.war)
	switch {
	case act == keys.Quit:
		return m, tea.Quit
	case act == keys.Help:
		m.help, m.helpOffset = !m.help, 0
		return m, nil
	case m.help:
		if act == keys.Back {
			m.help = false
		}
		m.helpOffset = keys.Scroll(act, m.helpOffset, max(m.bodyHeight()-2, 1), m.helpMaxOffset())
		return m, nil
	case m.war:
		return m.warKey(k, act)
	}
	if act == keys.None {
		m.note = m.unavailable(k)
		return m, nil
	}
	return m.consoleKey(k, act)
}

func (m Model) warKey(k tea.KeyPressMsg, act keys.Action) (Model, tea.Cmd) {
	switch act {
	case keys.WarRoom, keys.Back:
		m.war = false
	case keys.None:
		m.note = "war room is read-only: w returns to the console"
		if why := m.unavailable(k); why != "" {
			m.note = why + " (war room)"
		}
	default:
		m.grid, _ = m.grid.Update(k)
	}
	return m, nil
}

func (m Model) consoleKey(k tea.KeyPressMsg, act keys.Action) (Model, tea.Cmd) {
	if pinsSelection(act) {
		m.table.Pin()
	}
	switch act {
	case keys.WarRoom:
		m.war = true
		return m, m.warPagerCmd()
	case keys.Filter:
		// in the event log, / filters the events; elsewhere the fleet
		m.filtering, m.filterEvents = true, m.focus == focusEvents && !m.zoom
	case keys.Sort:
		m.table.SetSort(m.table.NextSort())
		m.showSelected()
	case keys.NextPane:
		m.setFocus((m.focus + 1) % focusPanes)
	case keys.Zoom:
		m.zoom = true
		m.setFocus(focusHost)
		m.layout()
	case keys.Back:
		m.back()
	case keys.Refresh:
		if h := m.current(); h != nil {
			m.note = "probing " + h.Name + " now"
			m.await(false, []string{h.Name})
		}
		return m, m.refreshCmd(true)
	case keys.RefreshAll:
		m.note = "probing all hosts now"
		m.await(false, m.table.Names())
		return m, m.refreshCmd(false)
	case keys.Pause:
		m.paused = !m.paused
		return m, m.pauseCmd(m.paused)
	case keys.Mark:
		m.table.ToggleMark()
	case keys.MarkAll:
		m.table.MarkShown()
		m.note = strconv.Itoa(m.table.MarkedCount()) + " hosts marked " + m.th.Glyphs.Dot + " esc clears"
	case keys.Restart:
		return m.openRestart()
	case keys.Journal:
		return m.openJournal()
	case keys.Backups:
		return m.backups()
	case keys.Drill:
		return m.openDrill()
	case keys.Details:
		return m.openDetails()
	case keys.Expand:
		m.events.SetExpanded(!m.events.Expanded())
	case keys.Shell:
		return m.openShell()
	case keys.CopyAddress:
		return m.copyAddress()
	case keys.Ack:
		return m.openAck()
	case keys.Unack:
		return m.removeAcks()
	case keys.VMs:
		return m.openVMs()
	case keys.Incidents:
		return m.openIncidents()
	default:
		return m.navigate(k), nil
	}
	return m, nil
}

// pinsSelection reports keys that look at, mark or act on the selected
// host: after one, the selection stays on that host across re-sorts.
func pinsSelection(act keys.Action) bool {
	switch act {
	case keys.Zoom, keys.Mark, keys.MarkAll, keys.NextPane, keys.Refresh, keys.Restart, keys.Details,
		keys.Journal, keys.Backups, keys.Drill, keys.Ack, keys.Unack, keys.Shell, keys.CopyAddress, keys.VMs:
		return true
	}
	return false
}

// back undoes one level: zoom first (it hides the table, so the filter
// and marks are out of sight), then an active filter, then the marks.
// Overlays and help close before any of these, in their own handlers.
func (m *Model) back() {
	switch {
	case m.zoom:
		m.zoom = false
		m.setFocus(focusFleet)
		m.pane.Show(m.table.Selected())
		m.layout()
	case m.filterText != "":
		m.setFilter("")
	case m.table.MarkedCount() > 0:
		m.table.ClearMarks()
		m.note = "marks cleared"
	}
}

func (m Model) navigate(k tea.KeyPressMsg) Model {
	switch {
	case m.focus == focusHost || m.zoom:
		m.pane, _ = m.pane.Update(k)
	case m.focus == focusEvents:
		m.events, _ = m.events.Update(k)
	default:
		m.table, _ = m.table.Update(k)
		m.pane.Show(m.table.Selected())
	}
	return m
}

// filterKey edits the filter as the operator types; the table follows
// every keystroke. enter keeps the filter, esc clears it.
func (m Model) filterKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	text, set := m.filterText, m.setFilter
	if m.filterEvents {
		text, set = m.events.Filter(), m.events.SetFilter
	}
	switch k.String() {
	case "ctrl+c", "esc":
		m.filtering = false
		set("")
	case "enter":
		m.filtering = false
	case "backspace":
		if _, size := utf8.DecodeLastRuneInString(text); size > 0 {
			set(text[:len(text)-size])
		}
	case "ctrl+u":
		set("")
	default:
		if t := cell.Clean(k.Text); t != "" && len(text)+len(t) <= maxFilterLen {
			set(text + t)
		}
	}
	return m, nil
}

func (m *Model) setFilter(text string) {
	m.filterText = text
	m.table.SetFilter(text)
	m.showSelected()
}

// unavailable explains a key whose action is refused in this mode or not
// served: "restart unavailable: read-only".
func (m Model) unavailable(k tea.KeyPressMsg) string {
	b, ok := m.keys.Find(k)
	switch {
	case !ok || b.Short == "":
		return ""
	case b.Mutating && (m.opts.ReadOnly || m.war):
		return b.Short + " unavailable: read-only"
	case b.NeedsActions && m.opts.Actions == nil:
		return b.Short + " unavailable: no action layer"
	}
	return ""
}

// showSelected puts the table's selection in the host pane, except while
// zoomed: a zoomed host stays on screen whatever the table does.
func (m *Model) showSelected() {
	if !m.zoom {
		m.pane.Show(m.table.Selected())
	}
}
