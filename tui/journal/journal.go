// Package journal is the pane that shows a service's journal on one host:
// loading, then the text (or the error) in a scrollable box that opens on
// the newest lines, long lines wrapped. The text is cleaned again as it
// arrives, whatever the action layer already did: a terminal that runs a
// stray escape sequence from a remote log is worse than a wasted scan.
package journal

import (
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
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
	lines   []string // the journal's lines, cleaned
	// rows are lines wrapped to the width (a long line is read whole, not
	// cut), and src the index in lines each row comes from; offset counts
	// rows.
	wrapped []string
	src     []int
	err     string
	offset  int
	width   int
	height  int
	// name, when set, titles a pane of text that is not a service's
	// journal (NewText); such a pane opens on its first line.
	name string
}

// NewText returns a pane showing text under its own title (the console's
// incidents view), opened on its first line.
func NewText(th theme.Theme, km keys.Map, title, text string) Pane {
	p := Pane{th: th, keys: km, name: title}
	p.SetText(text, nil)
	p.offset = 0
	return p
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
	for i, l := range p.lines {
		p.lines[i] = cell.Clean(l)
	}
	p.err = ""
	if err != nil {
		p.err = probes.Words(err)
	}
	p.wrap()
	p.offset = p.maxOffset()
}

// SetSize sets the pane's box including its title line and rewraps,
// keeping the first line shown in view.
func (p *Pane) SetSize(w, h int) {
	first := -1
	if p.offset < len(p.src) {
		first = p.src[p.offset]
	}
	atEnd := p.offset >= p.maxOffset()
	p.width, p.height = max(w, 0), max(h, 0)
	p.wrap()
	switch {
	case atEnd && (p.name == "" || p.offset > 0):
		p.offset = p.maxOffset()
	case first >= 0:
		p.offset = min(slices.Index(p.src, first), p.maxOffset())
	}
}

// wrap rebuilds the rows from the lines at the current width.
func (p *Pane) wrap() {
	p.wrapped, p.src = p.wrapped[:0], p.src[:0]
	for i, l := range p.lines {
		for _, r := range cell.Wrap(l, p.width) {
			p.wrapped, p.src = append(p.wrapped, r), append(p.src, i)
		}
	}
}

// Offset is the index of the first line shown.
func (p Pane) Offset() int { return p.offset }

// rows is how many text rows fit under the title and the error.
func (p Pane) rows() int { return max(p.height-1-len(p.errLines()), 1) }

// errLines is the error, wrapped, marked "!!" (none without an error).
func (p Pane) errLines() []string {
	if p.err == "" {
		return nil
	}
	return cell.Wrap("!! "+cell.Clean(p.err), p.width)
}

func (p Pane) maxOffset() int { return max(len(p.wrapped)-p.rows(), 0) }

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
	for _, l := range p.errLines() {
		out = append(out, p.th.Highlight.Render(cell.Fit(l, p.width, ell)))
	}
	switch {
	case p.loading:
		out = append(out, cell.Fit("  reading the journal "+p.th.Glyphs.Ellipsis, p.width, ""))
	case len(p.lines) == 0:
		out = append(out, cell.Fit("  (no journal lines)", p.width, ""))
	}
	for i := p.offset; i < len(p.wrapped) && len(out) < p.height; i++ {
		out = append(out, cell.Fit(p.wrapped[i], p.width, ell))
	}
	for len(out) < p.height {
		out = append(out, "")
	}
	return strings.Join(out[:p.height], "\n")
}

func (p Pane) title() string {
	g := p.th.Glyphs
	s := g.Rule + " Journal " + cell.Clean(p.unit) + " " + g.Dot + " " + cell.Clean(p.host)
	if p.name != "" {
		s = g.Rule + " " + cell.Clean(p.name)
	}
	if n := len(p.lines); n > 0 && len(p.src) > 0 {
		// journal line numbers, however the lines wrap
		first := p.src[min(p.offset, len(p.src)-1)]
		last := p.src[min(p.offset+p.rows(), len(p.src))-1]
		s += " " + g.Dot + " lines " + strconv.Itoa(first+1) + "-" + strconv.Itoa(last+1) + " of " + strconv.Itoa(n)
	}
	s += " " + g.Dot + " esc closes "
	return p.th.Title.Render(cell.Fit(s+p.th.Rule(p.width), p.width, ""))
}
