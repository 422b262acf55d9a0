// Package details is the full-text view of one host: every check with its
// whole summary, every detail line and the error chain behind it, the VM
// list and the report's times. Views elsewhere show the short cause; this
// is where the rest lives. It wraps instead of cutting, scrolls, and copies
// its text to the terminal's clipboard (OSC 52) for a ticket or a chat.
package details

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// View is the details widget for one host, built from its report when
// opened (a later report does not move the text under the reader).
type View struct {
	th     theme.Theme
	keys   keys.Map
	host   string
	text   []string // plain lines, unwrapped: what the copy key copies
	lines  []string // text wrapped to the width
	offset int
	width  int
	height int
}

// Runbook gives the team's runbook page for a host's check and cause
// key (probes.Cause.Name), or "" for none.
type Runbook func(host, check, cause string) string

// New builds the view of h's latest report; now dates the times and
// runbook (nil for none) links each problem to the team's page.
func New(th theme.Theme, km keys.Map, h *fleet.Host, now time.Time, runbook Runbook) View {
	v := View{th: th, keys: km}
	if h != nil {
		v.host = h.Name
		v.text = Text(h, now, runbook)
	}
	return v
}

// Text is the host's report as plain lines: the same text the view shows
// and the copy key copies. Remote text is cleaned. A CRIT or WARN check
// has its remedy and, with a runbook, the team's page under its summary.
func Text(h *fleet.Host, now time.Time, runbook Runbook) []string {
	if !h.Reported {
		return []string{h.Name + ": not probed yet"}
	}
	r := h.Report
	out := []string{h.Name + " " + h.Address + ": " + r.Status.String() + ", report of " + cell.Clock(r.Time, now)}
	for _, c := range r.Checks {
		out = append(out, "")
		out = append(out, c.Status.String()+" "+cell.Clean(c.Check)+" ("+cell.Clock(c.Time, now)+", took "+
			cell.Latency(c.Latency)+")")
		out = append(out, "  summary: "+cell.Clean(c.Summary))
		if !c.Since.IsZero() {
			out = append(out, "  since: "+cell.Clock(c.Since, now)+" by the host's own record")
		}
		out = append(out, remedyLines(h.Name, c, runbook)...)
		for i, d := range cell.CleanLines(c.Details) {
			if i == 0 {
				out = append(out, "  details:")
			}
			out = append(out, "    "+d)
		}
		if c.Err != "" {
			out = append(out, "  error: "+cell.Clean(c.Err))
		}
	}
	out = append(out, "")
	head := "VMs (" + strconv.Itoa(len(r.VMs)) + ")"
	if !r.VMsAsOf.IsZero() {
		head += " as of " + cell.Clock(r.VMsAsOf, now) + ", the last list read"
	}
	out = append(out, head)
	for _, vm := range r.VMs {
		line := "  " + cell.Clean(vm.Name) + ": " + cell.Clean(vm.State)
		if vm.Reason != "" {
			line += " (" + cell.Clean(vm.Reason) + ")"
		}
		if vm.Autostart {
			line += ", autostart"
		}
		out = append(out, line+", "+vm.Status.String())
	}
	return out
}

// remedyLines are a problem's "remedy:" and "runbook:" lines.
func remedyLines(host string, c probes.Result, runbook Runbook) []string {
	if c.Status != probes.CRIT && c.Status != probes.WARN {
		return nil
	}
	cause, _ := probes.CauseOf(c)
	var out []string
	if cause.Remedy != "" {
		out = append(out, "  remedy: "+cause.Remedy)
	}
	if runbook != nil {
		if u := runbook(host, c.Check, cause.Name); u != "" {
			out = append(out, "  runbook: "+cell.Clean(u))
		}
	}
	return out
}

// Host names the host shown.
func (v View) Host() string { return v.host }

// Copy is the text the copy key puts on the clipboard.
func (v View) Copy() string { return strings.Join(v.text, "\n") + "\n" }

// SetSize sets the view's box including its title line and rewraps.
func (v *View) SetSize(w, h int) {
	v.width, v.height = max(w, 0), max(h, 0)
	v.lines = v.lines[:0]
	for _, l := range v.text {
		v.lines = append(v.lines, cell.Wrap(l, v.width)...)
	}
	v.offset = min(v.offset, v.maxOffset())
}

func (v View) rows() int      { return max(v.height-1, 1) }
func (v View) maxOffset() int { return max(len(v.lines)-v.rows(), 0) }

// Update scrolls on the navigation keys.
func (v View) Update(msg tea.Msg) (View, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return v, nil
	}
	v.offset = keys.Scroll(v.keys.Resolve(k, false, false), v.offset, max(v.rows()-1, 1), v.maxOffset())
	return v, nil
}

// View draws the title and the visible lines.
func (v View) View() string {
	if v.width <= 0 || v.height <= 0 {
		return ""
	}
	g := v.th.Glyphs
	title := g.Rule + " Details " + g.Dot + " " + cell.Clean(v.host)
	if n := len(v.lines); n > v.rows() {
		title += " " + g.Dot + " lines " + strconv.Itoa(v.offset+1) + "-" + strconv.Itoa(min(v.offset+v.rows(), n)) +
			" of " + strconv.Itoa(n)
	}
	title += " " + g.Dot + " c copies " + g.Dot + " esc closes "
	out := []string{v.th.Title.Render(cell.Fit(title+v.th.Rule(v.width), v.width, ""))}
	for i := v.offset; i < len(v.lines) && len(out) < v.height; i++ {
		out = append(out, cell.Fit(v.lines[i], v.width, g.Ellipsis))
	}
	for len(out) < v.height {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}
