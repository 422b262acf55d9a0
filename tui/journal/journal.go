// Package journal is the pane that shows a service's journal on one host:
// loading, then the text (or the error) in a scrollable box that opens on
// the newest lines. The text is cleaned again as it is drawn, whatever the
// action layer already did: a terminal that runs a stray escape sequence
// from a remote log is worse than a wasted scan.
package journal

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// maxLines bounds what the pane keeps, whatever the remote sent.
const maxLines = 10000

// Pane is the journal widget.
type Pane struct {
	th      theme.Theme
	keys    keys.Map
	host    string
	unit    string
	loading bool
	lines   []string // raw lines; cleaned when drawn
	err     string
	offset  int
	width   int
	height  int
}

// New returns a pane for unit on host, waiting for its text.
func New(th theme.Theme, km keys.Map, host, unit string) Pane {
	return Pane{th: th, keys: km, host: host, unit: unit, loading: true}
}

// Host and Unit name what the pane shows.
func (p Pane) Host() string { return p.host }

// Unit is the service whose journal is shown.
func (p Pane) Unit() string { return p.unit }

// Loading reports a pane still waiting for its text.
func (p Pane) Loading() bool { return p.loading }

// SetText fills the pane with the journal text and, when the read failed,
// the error; it scrolls to the newest lines.
func (p *Pane) SetText(text string, err error) {
	p.loading = false
	text = strings.TrimRight(text, "\n")
	p.lines = nil
	if text != "" {
		p.lines = strings.Split(text, "\n")
	}
	if len(p.lines) > maxLines {
		p.lines = p.lines[len(p.lines)-maxLines:]
	}
	p.err = ""
	if err != nil {
		p.err = err.Error()
	}
	p.offset = p.maxOffset()
}

// SetSize sets the pane's box including its title line.
func (p *Pane) SetSize(w, h int) {
	p.width, p.height = max(w, 0), max(h, 0)
	p.offset = min(p.offset, p.maxOffset())
}

// Offset is the index of the first line shown.
func (p Pane) Offset() int { return p.offset }

// rows is how many text lines fit under the title and the error line.
func (p Pane) rows() int {
	r := p.height - 1
	if p.err != "" {
		r--
	}
	return max(r, 1)
}

func (p Pane) maxOffset() int { return max(len(p.lines)-p.rows(), 0) }

// Update scrolls: j/k, PgUp/PgDn, g/G.
func (p Pane) Update(msg tea.Msg) (Pane, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return p, nil
	}
	p.offset = keys.Scroll(p.keys.Resolve(k, false, false), p.offset, max(p.rows()-1, 1), p.maxOffset())
	return p, nil
}

// View draws the title, the error if any, and the visible lines.
func (p Pane) View() string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	ell := p.th.Glyphs.Ellipsis
	out := make([]string, 0, p.height)
	out = append(out, p.title())
	if p.err != "" {
		out = append(out, p.th.Highlight.Render(cell.Fit("!! "+cell.Clean(p.err), p.width, ell)))
	}
	switch {
	case p.loading:
		out = append(out, cell.Fit("  reading the journal "+p.th.Glyphs.Ellipsis, p.width, ""))
	case len(p.lines) == 0:
		out = append(out, cell.Fit("  (no journal lines)", p.width, ""))
	}
	for i := p.offset; i < len(p.lines) && len(out) < p.height; i++ {
		out = append(out, cell.Fit(cell.Clean(p.lines[i]), p.width, ell))
	}
	for len(out) < p.height {
		out = append(out, "")
	}
	return strings.Join(out[:p.height], "\n")
}

func (p Pane) title() string {
	g := p.th.Glyphs
	s := g.Rule + " Journal " + cell.Clean(p.unit) + " " + g.Dot + " " + cell.Clean(p.host)
	if n := len(p.lines); n > 0 {
		last := min(p.offset+p.rows(), n)
		s += " " + g.Dot + " lines " + strconv.Itoa(p.offset+1) + "-" + strconv.Itoa(last) + " of " + strconv.Itoa(n)
	}
	s += " " + g.Dot + " esc closes "
	return p.th.Title.Render(cell.Fit(s+p.th.Rule(p.width), p.width, ""))
}
