package tui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
)

// Smallest usable terminal; below it the console shows one line saying so.
const (
	minWidth  = 60
	minHeight = 16
	// gridWidth and gridBody switch to the grid layout: the table across
	// the whole width (its cause column grows with it), the host pane and
	// the event log side by side below.
	gridWidth = 120
	gridBody  = 20
	// eventsBelow is the least height the stacked layout gives the event
	// log under the host pane; below that the log is one tab away.
	eventsBelow = 8
	headerH     = 2
	footerH     = 1
)

func (m *Model) resize(w, h int) {
	m.width, m.height = max(w, 0), max(h, 0)
	m.layout()
}

func (m Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

func (m Model) bodyHeight() int { return max(m.height-headerH-footerH, 0) }

// grid reports the grid layout (see gridWidth).
func (m Model) grid3() bool { return m.width >= gridWidth && m.bodyHeight() >= gridBody }

// tableHeight is what the table takes: its rows (title, header and one row
// per host) and no more, at most 55% of the body and at least 4 lines.
func (m Model) tableHeight() int {
	return max(min(m.table.Total()+2, m.bodyHeight()*11/20), 4)
}

// paneWidth is the host pane's width in the grid layout.
func (m Model) paneWidth() int { return m.width * 11 / 20 }

// stackedEvents is the event log's height under the host pane in the
// stacked layout, 0 when there is no room for it.
func (m Model) stackedEvents() int {
	rest := m.bodyHeight() - m.tableHeight()
	if rest < 2*eventsBelow {
		return 0
	}
	return rest / 3
}

// paneVisible reports whether the host pane is on screen outside zoom.
func (m Model) paneVisible() bool {
	return m.grid3() || m.focus != focusEvents || m.stackedEvents() > 0
}

// layout hands every pane its box for the current size and mode.
func (m *Model) layout() {
	body := m.bodyHeight()
	m.grid.SetSize(m.width, body)
	th := m.tableHeight()
	m.table.SetSize(m.width, th)
	switch {
	case m.zoom:
		m.pane.SetSize(m.width, body)
	case m.grid3():
		pw := m.paneWidth()
		m.pane.SetSize(pw, body-th)
		m.events.SetSize(m.width-pw-1, body-th)
	case m.stackedEvents() > 0:
		ev := m.stackedEvents()
		m.pane.SetSize(m.width, body-th-ev)
		m.events.SetSize(m.width, ev)
	default:
		m.pane.SetSize(m.width, body-th)
		m.events.SetSize(m.width, body-th)
	}
	m.picker.SetSize(m.width-4, body)
	m.confirm.SetSize(m.width-4, body)
	m.ackForm.SetSize(m.width-4, body)
	m.journal.SetSize(m.width, body)
	m.details.SetSize(m.width, body)
}

// View draws the whole screen. Only the visible rows of the fleet are drawn.
func (m Model) View() tea.View {
	frame := m.render()
	if m.opts.ASCII {
		// the glyphs are ASCII already; this catches what came from text
		// (remote names, "µs" in latencies, a "·" in a banner)
		frame = cell.ASCII(frame)
	}
	v := tea.NewView(frame)
	v.AltScreen = true
	v.WindowTitle = "hvconsole"
	if n := m.table.Counts().ByStatus[probes.CRIT]; n > 0 {
		v.WindowTitle = "hvconsole: " + strconv.Itoa(n) + " CRIT"
	}
	return v
}

func (m Model) render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.tooSmall() {
		msg := "terminal too small: " + strconv.Itoa(m.width) + "x" + strconv.Itoa(m.height) +
			", need " + strconv.Itoa(minWidth) + "x" + strconv.Itoa(minHeight)
		return cell.Fit(msg, m.width, "")
	}
	var body string
	switch {
	case m.help:
		body = m.helpView()
	case m.war:
		body = m.grid.View(m.table, m.now(), m.round.last)
	case m.overlay == overlayJournal, m.overlay == overlayIncidents:
		body = m.journal.View()
	case m.overlay == overlayDetails:
		body = m.details.View()
	case m.zoom:
		body = m.pane.View()
	case m.grid3():
		pw := m.paneWidth()
		body = m.table.View() + "\n" + joinColumns(m.pane.View(), pw, m.events.View(), m.width-pw-1, m.th.Glyphs.Bracket)
	case m.stackedEvents() > 0:
		body = m.table.View() + "\n" + m.pane.View() + "\n" + m.events.View()
	case m.focus == focusEvents:
		body = m.table.View() + "\n" + m.events.View()
	default:
		body = m.table.View() + "\n" + m.pane.View()
	}
	switch m.overlay {
	case overlayRestartPick, overlayJournalPick, overlayDrillPick, overlayVMPick:
		body = overlayBox(body, m.picker.View(), m.width)
	case overlayConfirm:
		body = overlayBox(body, m.confirm.View(), m.width)
	case overlayAck:
		body = overlayBox(body, m.ackForm.View(), m.width)
	}
	return m.headerView() + "\n" + body + "\n" + m.footerView()
}

// joinColumns places two blocks side by side with a one-cell separator.
func joinColumns(left string, lw int, right string, rw int, ascii bool) string {
	sep := "│"
	if ascii {
		sep = "|"
	}
	ls, rs := strings.Split(left, "\n"), strings.Split(right, "\n")
	n := max(len(ls), len(rs))
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		l, r := "", ""
		if i < len(ls) {
			l = ls[i]
		}
		if i < len(rs) {
			r = rs[i]
		}
		b.WriteString(cell.Fit(l, lw, ""))
		b.WriteString(sep)
		b.WriteString(cell.Fit(r, rw, ""))
	}
	return b.String()
}

// headerView is two lines: fleet counts and badges, then the CRIT banner
// (or the demo banner when nothing is CRIT).
func (m Model) headerView() string {
	return m.summaryLine() + "\n" + m.bannerLine()
}

func (m Model) summaryLine() string {
	c := m.table.Counts()
	parts := []string{m.th.Title.Render("hvconsole")}
	for _, s := range []probes.Status{probes.OK, probes.WARN, probes.CRIT, probes.UNKNOWN} {
		if n := c.ByStatus[s]; n > 0 || s != probes.UNKNOWN {
			parts = append(parts, m.th.Status(s, false).Render(m.th.StatusLabel(s, false)+" "+strconv.Itoa(n)))
		}
	}
	if c.Pending > 0 {
		parts = append(parts, m.th.Pending.Render(m.th.StatusLabel(probes.UNKNOWN, true)+" "+strconv.Itoa(c.Pending)))
	}
	vms := "VMs " + strconv.Itoa(c.Running) + "/" + strconv.Itoa(c.VMsTotal)
	if c.StaleVMs > 0 {
		// partial: those hosts' lists are the last ones read
		vms += " (" + strconv.Itoa(c.StaleVMs) + " stale)"
	}
	parts = append(parts, vms)
	switch {
	case m.closed:
		parts = append(parts, "probing stopped")
	case m.round.last.IsZero():
		parts = append(parts, "first round running")
	default:
		parts = append(parts, "round "+cell.Age(m.now().Sub(m.round.last))+" ago")
	}
	sep := "  "
	if m.width < 100 {
		sep = " "
	}
	left := strings.Join(parts, sep)
	var badges []string
	if m.opts.Badge != "" {
		badges = append(badges, m.th.Badge.Render("["+cell.Clean(m.opts.Badge)+"]"))
	}
	if m.opts.ReadOnly {
		badges = append(badges, m.th.Badge.Render("[READ-ONLY]"))
	}
	if m.paused {
		badges = append(badges, m.th.Badge.Render("[PAUSED]"))
	}
	if len(badges) == 0 {
		return cell.Fit(left, m.width, m.th.Glyphs.Ellipsis)
	}
	right := strings.Join(badges, " ")
	rw := cell.Width(right)
	return cell.Fit(left, max(m.width-rw-1, 0), m.th.Glyphs.Ellipsis) + " " + right
}

// bannerLine is the CRIT banner on the left and, on the right, the latest
// note (an action's progress or result) or else the demo banner.
func (m Model) bannerLine() string {
	demo := cell.Clean(m.opts.DemoBanner)
	right := m.th.Dim
	if m.note != "" {
		demo, right = cell.Clean(m.note), m.th.Highlight
	}
	n := m.table.Counts().ByStatus[probes.CRIT]
	if n == 0 {
		return right.Render(cell.Fit(demo, m.width, m.th.Glyphs.Ellipsis))
	}
	hostsWord := " hosts"
	if n == 1 {
		hostsWord = " host"
	}
	text := " " + m.th.StatusLabel(probes.CRIT, false) + "  " + strconv.Itoa(n) + hostsWord + " CRIT: " +
		strings.Join(m.critNames, ", ")
	if n > len(m.critNames) {
		text += " +" + strconv.Itoa(n-len(m.critNames)) + " more"
	}
	bw := m.width
	if demo != "" {
		share := m.width / 3
		if m.note != "" {
			share = m.width / 2 // a note answers what the operator just asked
		}
		dw := min(cell.Width(demo), share)
		bw = m.width - dw - 1
		demo = " " + cell.Fit(demo, dw, m.th.Glyphs.Ellipsis)
	}
	return m.th.Banner.Render(cell.Fit(text, bw, m.th.Glyphs.Ellipsis)) + right.Render(demo)
}

// footerView is the key hints for where the operator is, or the filter
// prompt. Notes have their own place (the header's second line), so the
// hints are never replaced.
func (m Model) footerView() string {
	if m.filtering {
		cursor := "█"
		if m.th.Glyphs.Bracket {
			cursor = "_"
		}
		prompt := "/" + cell.Clean(m.filterText) + cursor + "   enter keep " + m.th.Glyphs.Dot + " esc clear " +
			m.th.Glyphs.Dot + " status:crit tag:X"
		if m.filterEvents {
			prompt = "events /" + cell.Clean(m.events.Filter()) + cursor + "   enter keep " + m.th.Glyphs.Dot +
				" esc clear " + m.th.Glyphs.Dot + " words match host, check, status, cause"
		}
		return cell.Fit(prompt, m.width, m.th.Glyphs.Ellipsis)
	}
	d := "  " + m.th.Glyphs.Dot + "  "
	switch m.overlay {
	case overlayJournal, overlayIncidents:
		return cell.Fit("j/k scroll"+d+"pgup/pgdn page"+d+"g/G first/last"+d+"esc close", m.width, m.th.Glyphs.Ellipsis)
	case overlayDetails:
		return cell.Fit("j/k scroll"+d+"pgup/pgdn page"+d+"c copy (OSC 52)"+d+"esc close", m.width, m.th.Glyphs.Ellipsis)
	}
	gap := "  "
	if m.width < 100 {
		gap = " "
	}
	var b strings.Builder
	for i, it := range m.keys.FooterFor(m.footerContext(), m.opts.ReadOnly) {
		if i > 0 {
			b.WriteString(gap)
		}
		b.WriteString(m.th.Key.Render(it.Key))
		b.WriteString(" " + it.Desc)
	}
	return cell.Fit(b.String(), m.width, m.th.Glyphs.Ellipsis)
}

// footerContext is where the keys go now.
func (m Model) footerContext() keys.FooterContext {
	switch {
	case m.war:
		return keys.FooterWarRoom
	case m.zoom || m.focus == focusHost:
		return keys.FooterHost
	case m.focus == focusEvents:
		return keys.FooterEvents
	}
	return keys.FooterFleet
}
