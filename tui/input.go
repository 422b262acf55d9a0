package tui

import (
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
	act := m.keys.Resolve(k, m.opts.ReadOnly, m.war)
	switch {
	case act == keys.Quit:
		return m, tea.Quit
	case act == keys.Help:
		m.help = !m.help
		return m, nil
	case m.help:
		if act == keys.Back {
			m.help = false
		}
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
	default:
		m.grid, _ = m.grid.Update(k)
	}
	return m, nil
}

func (m Model) consoleKey(k tea.KeyPressMsg, act keys.Action) (Model, tea.Cmd) {
	switch act {
	case keys.WarRoom:
		m.war = true
	case keys.Filter:
		m.filtering = true
	case keys.Sort:
		m.table.SetSort(m.table.SortMode().Next())
		m.pane.Show(m.table.Selected())
	case keys.NextPane:
		m.setFocus((m.focus + 1) % focusPanes)
	case keys.Zoom:
		m.zoom = true
		m.setFocus(focusHost)
		m.layout()
	case keys.Back:
		m.back()
	case keys.Refresh:
		if h := m.table.Selected(); h != nil {
			m.note = "probing " + h.Name + " now"
		}
		return m, m.refreshCmd(true)
	case keys.RefreshAll:
		m.note = "probing all hosts now"
		return m, m.refreshCmd(false)
	case keys.Pause:
		m.paused = !m.paused
		return m, m.pauseCmd(m.paused)
	default:
		return m.navigate(k), nil
	}
	return m, nil
}

// back undoes one level: zoom first, then an active filter.
func (m *Model) back() {
	switch {
	case m.zoom:
		m.zoom = false
		m.setFocus(focusFleet)
		m.layout()
	case m.filterText != "":
		m.setFilter("")
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
	switch k.String() {
	case "ctrl+c":
		return m, tea.Quit
	case "esc":
		m.filtering = false
		m.setFilter("")
	case "enter":
		m.filtering = false
	case "backspace":
		if _, size := utf8.DecodeLastRuneInString(m.filterText); size > 0 {
			m.setFilter(m.filterText[:len(m.filterText)-size])
		}
	case "ctrl+u":
		m.setFilter("")
	default:
		if t := cell.Clean(k.Text); t != "" && len(m.filterText)+len(t) <= maxFilterLen {
			m.setFilter(m.filterText + t)
		}
	}
	return m, nil
}

func (m *Model) setFilter(text string) {
	m.filterText = text
	m.table.SetFilter(text)
	m.pane.Show(m.table.Selected())
}

// unavailable explains a key that maps to a planned or refused action.
func (m Model) unavailable(k tea.KeyPressMsg) string {
	for _, b := range m.keys {
		if !b.Planned || b.Key.Help().Key != k.String() {
			continue
		}
		if m.opts.ReadOnly {
			return b.Key.Help().Desc + ": unavailable in read-only mode"
		}
		return b.Key.Help().Desc + ": not available yet"
	}
	return ""
}
