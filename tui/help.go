package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
)

// helpTwoColumns is the width from which the key help takes two columns.
const helpTwoColumns = 100

// helpView is the full key help, generated from the keymap, with the
// status legend and the filter syntax below: long lines wrap, never cut,
// and when it is taller than the screen it scrolls (j/k, pgup/pgdown) and
// says how many lines are hidden.
func (m Model) helpView() string {
	body := m.bodyHeight()
	if body <= 0 {
		return ""
	}
	lines := m.helpLines()
	rows := max(body-1, 1)
	off := min(m.helpOffset, max(len(lines)-rows, 0))
	title := m.th.Glyphs.Rule + " Help " + m.th.Glyphs.Dot + " ? or esc closes "
	out := []string{m.th.Title.Render(cell.Fit(title+m.th.Rule(m.width), m.width, ""))}
	end := min(off+rows, len(lines))
	for _, l := range lines[off:end] {
		out = append(out, cell.Fit(l, m.width, m.th.Glyphs.Ellipsis))
	}
	if below := len(lines) - end; below > 0 && rows > 1 {
		out[len(out)-1] = m.th.Dim.Render(cell.Fit("  "+m.th.More(false)+" "+strconv.Itoa(below+1)+
			" more lines below (j/k scroll)", m.width, m.th.Glyphs.Ellipsis))
	}
	if off > 0 && rows > 2 {
		out[1] = m.th.Dim.Render(cell.Fit("  "+m.th.More(true)+" "+strconv.Itoa(off+1)+" more lines above",
			m.width, m.th.Glyphs.Ellipsis))
	}
	for len(out) < body {
		out = append(out, "")
	}
	return strings.Join(out[:body], "\n")
}

// helpMaxOffset is the help's bottom scroll position.
func (m Model) helpMaxOffset() int { return max(len(m.helpLines())-max(m.bodyHeight()-1, 1), 0) }

// helpLines is the whole help: the key groups in two columns when the
// screen is wide enough (one below that), each entry wrapped in its
// column under its description, then the legend, wrapped.
func (m Model) helpLines() []string {
	order, groups := m.keys.Groups()
	ncol, colW := 1, m.width
	if m.width >= helpTwoColumns {
		ncol, colW = 2, m.width/2
	}
	cols := make([][]string, ncol)
	for i, g := range order {
		c := min(i*ncol/len(order), ncol-1)
		cols[c] = append(cols[c], m.th.Title.Render(string(g)))
		for _, b := range groups[g] {
			// the description continues under itself: "  key(13) " is 16
			cols[c] = append(cols[c], cell.WrapIndent(m.helpLine(b), colW-1, 16)...)
		}
		cols[c] = append(cols[c], "")
	}
	var lines []string
	for i := range slices.Max([]int{len(cols[0]), len(cols[ncol-1])}) {
		var l strings.Builder
		for c := range cols {
			text := ""
			if i < len(cols[c]) {
				text = cols[c][i]
			}
			if c < ncol-1 {
				text = cell.Fit(text, colW, "")
			}
			l.WriteString(text)
		}
		lines = append(lines, l.String())
	}
	for _, l := range m.legend() {
		lines = append(lines, cell.WrapIndent(l, m.width, 8)...)
	}
	return lines
}

func (m Model) helpLine(b keys.Binding) string {
	h := b.Key.Help()
	line := "  " + cell.Fit(h.Key, 13, "") + " " + h.Desc
	switch {
	case b.Mutating && m.opts.ReadOnly:
		line += " (off: read-only)"
	case b.NeedsActions && m.opts.Actions == nil:
		line += " (off: no action layer)"
	}
	return line
}

func (m Model) legend() []string {
	var st []string
	for _, s := range []probes.Status{probes.OK, probes.WARN, probes.CRIT, probes.UNKNOWN} {
		st = append(st, m.th.Status(s, false).Render(m.th.StatusLabel(s, false)))
	}
	st = append(st, m.th.Pending.Render(m.th.StatusLabel(probes.UNKNOWN, true)))
	return []string{
		m.th.Title.Render("Status") + "  " + strings.Join(st, "  "),
		m.th.Title.Render("Filter") + "  words match name or tag " + m.th.Glyphs.Dot +
			" status:crit|warn|unknown|ok|pending " + m.th.Glyphs.Dot + " tag:X " + m.th.Glyphs.Dot + " all terms must match",
		m.th.Title.Render("Events") + "  !! marks a host or check that turned CRIT, or a failed action",
	}
}
