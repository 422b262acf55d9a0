package tui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
)

// Smallest usable terminal; below it the console shows one line saying so.
const (
	minWidth  = 60
	minHeight = 16
	// wideWidth and wideBody switch to the side-by-side layout.
	wideWidth = 140
	wideBody  = 20
	headerH   = 2
	footerH   = 1
)

func (m *Model) resize(w, h int) {
	m.width, m.height = max(w, 0), max(h, 0)
	m.layout()
}

func (m Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

func (m Model) bodyHeight() int { return max(m.height-headerH-footerH, 0) }

func (m Model) wide() bool { return m.width >= wideWidth && m.bodyHeight() >= wideBody }

// tableWidth is the fleet table's width in the wide layout.
func (m Model) tableWidth() int { return m.width * 11 / 20 }

// narrowSplit is the fleet table's height in the stacked layout.
func (m Model) narrowSplit() int { return max(m.bodyHeight()*11/20, 4) }

// paneVisible reports whether the host pane is on screen outside zoom.
func (m Model) paneVisible() bool { return m.wide() || m.focus != focusEvents }

// layout hands every pane its box for the current size and mode.
func (m *Model) layout() {
	body := m.bodyHeight()
	m.grid.SetSize(m.width, body)
	switch {
	case m.zoom:
		m.pane.SetSize(m.width, body)
	case m.wide():
		tw := m.tableWidth()
		rw := m.width - tw - 1
		ph := body * 3 / 5
		m.table.SetSize(tw, body)
		m.pane.SetSize(rw, ph)
		m.events.SetSize(rw, body-ph)
	default:
		th := m.narrowSplit()
		m.table.SetSize(m.width, th)
		m.pane.SetSize(m.width, body-th)
		m.events.SetSize(m.width, body-th)
	}
	m.picker.SetSize(m.width-4, body)
	m.confirm.SetSize(m.width-4, body)
	m.journal.SetSize(m.width, body)
	// the table keeps its box while zoomed so paging stays consistent
	if m.zoom && m.wide() {
		m.table.SetSize(m.tableWidth(), body)
	} else if m.zoom {
		m.table.SetSize(m.width, m.narrowSplit())
	}
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
		body = m.grid.View(m.table)
	case m.overlay == overlayJournal:
		body = m.journal.View()
	case m.zoom:
		body = m.pane.View()
	case m.wide():
		right := m.pane.View() + "\n" + m.events.View()
		body = joinColumns(m.table.View(), m.tableWidth(), right, m.width-m.tableWidth()-1, m.th.Glyphs.Rule == "-")
	case m.focus == focusEvents:
		body = m.table.View() + "\n" + m.events.View()
	default:
		body = m.table.View() + "\n" + m.pane.View()
	}
	switch m.overlay {
	case overlayRestartPick, overlayJournalPick, overlayDrillPick:
		body = overlayBox(body, m.picker.View(), m.width)
	case overlayConfirm:
		body = overlayBox(body, m.confirm.View(), m.width)
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

func (m Model) bannerLine() string {
	demo := cell.Clean(m.opts.DemoBanner)
	n := m.table.Counts().ByStatus[probes.CRIT]
	if n == 0 {
		return m.th.Dim.Render(cell.Fit(demo, m.width, m.th.Glyphs.Ellipsis))
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
		dw := min(cell.Width(demo), m.width/3)
		bw = m.width - dw - 1
		demo = " " + cell.Fit(demo, dw, m.th.Glyphs.Ellipsis)
	}
	return m.th.Banner.Render(cell.Fit(text, bw, m.th.Glyphs.Ellipsis)) + m.th.Dim.Render(demo)
}

// footerView is the short key help, the filter prompt, or a one-shot note.
func (m Model) footerView() string {
	if m.filtering {
		cursor := "█"
		if m.th.Glyphs.Rule == "-" {
			cursor = "_"
		}
		prompt := "/" + cell.Clean(m.filterText) + cursor + "   enter keep " + m.th.Glyphs.Dot + " esc clear " +
			m.th.Glyphs.Dot + " status:crit tag:X"
		return cell.Fit(prompt, m.width, m.th.Glyphs.Ellipsis)
	}
	if m.note != "" {
		return m.th.Highlight.Render(cell.Fit(m.note, m.width, m.th.Glyphs.Ellipsis))
	}
	if m.overlay == overlayJournal {
		d := "  " + m.th.Glyphs.Dot + "  "
		return cell.Fit("j/k scroll"+d+"pgup/pgdn page"+d+"g/G first/last"+d+"esc close", m.width, m.th.Glyphs.Ellipsis)
	}
	var b strings.Builder
	for i, it := range m.keys.Footer(m.opts.ReadOnly, m.war) {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(m.th.Key.Render(it.Key))
		b.WriteString(" " + it.Desc)
	}
	return cell.Fit(b.String(), m.width, m.th.Glyphs.Ellipsis)
}
