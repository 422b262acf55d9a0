package tui

import (
	"strings"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
)

// helpView is the full key help, generated from the keymap, in two columns
// when they fit, with the status legend and the filter syntax below.
func (m Model) helpView() string {
	order, groups := m.keys.Groups()
	var cols [2][]string
	for i, g := range order {
		col := &cols[0]
		if i >= len(order)/2 {
			col = &cols[1]
		}
		*col = append(*col, m.th.Title.Render(string(g)))
		for _, b := range groups[g] {
			*col = append(*col, m.helpLine(b))
		}
		*col = append(*col, "")
	}
	colW := m.width / 2
	lines := []string{m.th.Title.Render(cell.Fit(m.th.Glyphs.Rule+" Help "+m.th.Glyphs.Dot+" ? or esc closes "+m.th.Rule(m.width), m.width, ""))}
	for i := 0; i < max(len(cols[0]), len(cols[1])); i++ {
		l, r := "", ""
		if i < len(cols[0]) {
			l = cols[0][i]
		}
		if i < len(cols[1]) {
			r = cols[1][i]
		}
		lines = append(lines, cell.Fit(l, colW, m.th.Glyphs.Ellipsis)+cell.Fit(r, m.width-colW, m.th.Glyphs.Ellipsis))
	}
	lines = append(lines, m.legend()...)
	body := m.bodyHeight()
	for len(lines) < body {
		lines = append(lines, "")
	}
	return strings.Join(lines[:body], "\n")
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
	fit := func(s string) string { return cell.Fit(s, m.width, m.th.Glyphs.Ellipsis) }
	return []string{
		fit(m.th.Title.Render("Status") + "  " + strings.Join(st, "  ")),
		fit(m.th.Title.Render("Filter") + "  words match name or tag " + m.th.Glyphs.Dot +
			" status:crit|warn|unknown|ok|pending " + m.th.Glyphs.Dot + " tag:X " + m.th.Glyphs.Dot + " all terms must match"),
		fit(m.th.Title.Render("Events") + "  !! marks a host or check that turned CRIT, or a failed action"),
	}
}
