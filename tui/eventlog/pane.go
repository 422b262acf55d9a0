package eventlog

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// Pane is the scrollable event log widget, newest first. It draws only the
// events that fit.
type Pane struct {
	th     theme.Theme
	now    func() time.Time
	keys   keys.Map
	log    *Log
	width  int
	height int
	offset int
	focus  bool
	filter string
	// expanded shows under each grouped line the check transitions it
	// stands for.
	expanded bool
}

// SetExpanded shows (true) or folds the check transitions grouped into
// each host's line.
func (p *Pane) SetExpanded(on bool) { p.expanded = on }

// Expanded reports whether grouped lines are shown expanded.
func (p Pane) Expanded() bool { return p.expanded }

// SetFilter shows only the events that match text (see Event.Matches).
func (p *Pane) SetFilter(text string) { p.filter, p.offset = text, 0 }

// Filter is the events filter.
func (p Pane) Filter() string { return p.filter }

// NewPane returns a pane over log.
func NewPane(th theme.Theme, km keys.Map, log *Log, now func() time.Time) Pane {
	return Pane{th: th, keys: km, log: log, now: now}
}

// SetSize sets the pane's box including its title line.
func (p *Pane) SetSize(w, h int) { p.width, p.height = max(w, 0), max(h, 0) }

// SetFocused marks the pane as the one keys scroll.
func (p *Pane) SetFocused(f bool) { p.focus = f }

// Update scrolls on navigation keys.
func (p Pane) Update(msg tea.Msg) (Pane, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return p, nil
	}
	p.offset = keys.Scroll(p.keys.Resolve(k, false, false), p.offset, max(p.height-2, 1), p.log.Len()-(p.height-1))
	return p, nil
}

// Added keeps a scrolled-back view on the same events when n new ones
// arrive on top; at the top it keeps showing the newest.
func (p *Pane) Added(n int) {
	if p.offset > 0 {
		p.offset = min(p.offset+n, max(p.log.Len()-1, 0))
	}
}

// View draws the title and the visible events.
func (p Pane) View() string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	out := make([]string, 0, p.height)
	out = append(out, p.title())
	now := p.now()
	var shown []Event
	hostW := 1
	for i := p.offset; i < p.log.Len() && len(shown) < p.height; i++ {
		if e := p.log.At(i); p.filter == "" || e.Matches(p.filter) {
			shown = append(shown, e)
			hostW = max(hostW, min(cell.Width(cell.Clean(e.Host)), maxHostW))
		}
	}
	for _, e := range shown {
		if len(out) >= p.height {
			break
		}
		// the host column is as wide as the names shown, so the cause
		// gets the room
		out = append(out, line(p.th, e, hostW, p.width, now))
		if p.expanded {
			out = append(out, p.foldedLines(e, hostW)...)
		}
	}
	if p.log.Len() == 0 && len(out) < p.height {
		out = append(out, "  no status changes yet")
	}
	for len(out) < p.height {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

func (p Pane) title() string {
	g := p.th.Glyphs
	s := p.th.TitleLead(p.focus) + " Events " + strconv.Itoa(p.log.Len())
	if p.filter != "" {
		s += " " + g.Dot + " filter: " + cell.Clean(p.filter)
	}
	if p.expanded {
		s += " " + g.Dot + " expanded"
	}
	if p.offset > 0 {
		s += " " + g.Dot + " " + strconv.Itoa(p.offset) + " newer above"
	}
	s = cell.Fit(s+" "+p.th.TitleRule(p.width, p.focus), p.width, "")
	if p.focus {
		return p.th.Title.Render(s)
	}
	return s
}

// foldedLines are the check transitions a grouped event stands for, one
// line each, under the event's summary: "ssh OK → CRIT".
func (p Pane) foldedLines(e Event, hostW int) []string {
	out := make([]string, 0, len(e.Folded))
	// under the transition, past the time and the host
	indent := cell.Spaces(min(3+len(cell.Clock(e.Time, p.now()))+1+hostW+1, p.width/2))
	for _, f := range e.Folded {
		f = strings.Replace(cell.Clean(f), " -> ", " "+p.th.Glyphs.Arrow+" ", 1)
		out = append(out, p.th.Dim.Render(cell.Fit(indent+p.th.Glyphs.Dot+" "+f, p.width, p.th.Glyphs.Ellipsis)))
	}
	return out
}

// maxHostW bounds the event log's host column.
const maxHostW = 14

// compactBelow is the width under which a line shows only the new status
// ("→ CRIT"), not the old: the cause needs the room more.
const compactBelow = 90

// Line formats one event: time (dated when it is not today's, see
// cell.Clock), host (when withHost), check (none for a host's own change),
// old -> new, summary. A hot event (new CRIT, failed action) is marked
// with "!!" and highlighted as a whole line, so it stands out without
// colour too. The line is exactly width cells; the summary is cut before
// styling so no styled text is ever truncated.
func Line(th theme.Theme, e Event, withHost bool, width int, now time.Time) string {
	hostW := 0
	if withHost {
		hostW = maxHostW
	}
	return line(th, e, hostW, width, now)
}

// line is Line with a host column hostW wide (0: none).
func line(th theme.Theme, e Event, hostW, width int, now time.Time) string {
	hot := e.Hot()
	var b strings.Builder
	if hot {
		b.WriteString("!! ")
	} else {
		b.WriteString("   ")
	}
	at := cell.Clock(e.Time, now)
	b.WriteString(at + " ")
	used := 3 + len(at) + 1
	if hostW > 0 {
		b.WriteString(cell.Fit(cell.Clean(e.Host), hostW, th.Glyphs.Ellipsis) + " ")
		used += hostW + 1
	}
	// a host's own change names its cause check in the summary
	// ("hypervisor: libvirtd failed"): it needs no check column
	if check := cmp.Or(e.Action, e.Check); check != "" {
		b.WriteString(cell.Fit(cell.Clean(check), 10, th.Glyphs.Ellipsis) + " ")
		used += 11
	}
	if e.Action != "" {
		// an action has no transition: its outcome word takes a short
		// column and the summary (what happened) gets the room
		b.WriteString(cell.Fit(actionOutcome(th, e), 11, "") + " ")
		used += 12
	} else {
		tr, w := transitionText(th, e, hot, width < compactBelow)
		b.WriteString(tr + " ")
		used += w + 1
	}
	if used > width {
		return cell.Fit(b.String(), width, "")
	}
	sum := cell.Clean(e.Summary)
	if n := len(e.Folded); n > 1 {
		// one folded transition is the cause's own check: nothing to add
		sum += " (" + strconv.Itoa(n) + " checks)"
	}
	b.WriteString(cell.Fit(sum, width-used, th.Glyphs.Ellipsis))
	if hot {
		return th.Highlight.Render(b.String())
	}
	return b.String()
}

// transitionText is "OK → CRIT" ("→ CRIT" when compact), the new status
// styled unless the whole line is highlighted, and its width in cells.
func transitionText(th theme.Theme, e Event, hot, compact bool) (string, int) {
	to := cell.Fit(e.To.String(), 7, "")
	if !hot {
		to = th.Status(e.To, false).Render(to)
	}
	arrowW := cell.Width(th.Glyphs.Arrow)
	if compact {
		return th.Glyphs.Arrow + " " + to, arrowW + 1 + 7
	}
	from := "new"
	if !e.New {
		from = e.From.String()
	}
	return cell.FitRight(from, 7, "") + " " + th.Glyphs.Arrow + " " + to, 7 + 1 + arrowW + 1 + 7
}

// actionOutcome is an action's result as symbol and word: "✓ done",
// "✗ FAILED" or "- cancelled" ("[FAILED]" in ASCII).
func actionOutcome(th theme.Theme, e Event) string {
	sym, word := th.Glyphs.OK, "done"
	switch {
	case e.Failed:
		sym, word = th.Glyphs.Crit, "FAILED"
	case e.Cancelled:
		sym, word = "-", "cancelled"
	}
	if th.Glyphs.Bracket {
		return "[" + word + "]"
	}
	return sym + " " + word
}
