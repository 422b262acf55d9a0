// Package hostpane draws everything known about the selected host: every
// check with status, summary and details, gauges of its resources (memory,
// memory committed to VMs, load, image disks), its VMs with state and
// reason, a latency sparkline and the host's recent events. It reads the live row, so
// a new report shows without the pane being told.
package hostpane

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/eventlog"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// recentEvents bounds the events listed per host.
const recentEvents = 20

// Pane is the host detail widget. It scrolls when its content is taller
// than its box.
type Pane struct {
	th     theme.Theme
	keys   keys.Map
	now    func() time.Time
	log    *eventlog.Log
	host   *fleet.Host
	width  int
	height int
	offset int
	focus  bool
}

// New returns an empty pane reading events from log.
func New(th theme.Theme, km keys.Map, log *eventlog.Log, now func() time.Time) Pane {
	return Pane{th: th, keys: km, log: log, now: now}
}

// Show selects the host to draw; switching hosts scrolls back to the top.
func (p *Pane) Show(h *fleet.Host) {
	if h != p.host {
		p.offset = 0
	}
	p.host = h
}

// Host returns the host shown, or nil.
func (p Pane) Host() *fleet.Host { return p.host }

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
	// The content's height is known only when drawn: View clamps the
	// bottom, so here it is unbounded.
	p.offset = keys.Scroll(p.keys.Resolve(k, false, false), p.offset, max(p.height-2, 1), 1<<30)
	return p, nil
}

// View draws the title and the visible part of the content.
func (p Pane) View() string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	title := "Host"
	if p.host != nil {
		title = p.host.Name
		if p.host.Address != "" {
			title += " " + p.th.Glyphs.Dot + " " + p.host.Address
		}
	}
	out := make([]string, 0, p.height)
	out = append(out, p.titleLine(title))
	body := p.wrapped(p.content())
	rows := p.height - 1
	off := min(p.offset, max(len(body)-rows, 0))
	end := min(off+rows, len(body))
	for i := off; i < end; i++ {
		out = append(out, cell.Fit(body[i], p.width, p.th.Glyphs.Ellipsis))
	}
	// say so when the pane scrolls: a failing check below the fold must
	// not look like nothing
	if below := len(body) - end; below > 0 && rows > 1 {
		out[len(out)-1] = p.th.Dim.Render(cell.Fit("  "+p.th.More(false)+" "+strconv.Itoa(below+1)+
			" more lines below (j/k scroll, enter zoom)", p.width, p.th.Glyphs.Ellipsis))
	}
	if off > 0 && rows > 2 {
		out[1] = p.th.Dim.Render(cell.Fit("  "+p.th.More(true)+" "+strconv.Itoa(off+1)+" more lines above",
			p.width, p.th.Glyphs.Ellipsis))
	}
	for len(out) < p.height {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

// wrapped breaks lines wider than the pane, continuing under the text:
// the cause is read whole in the pane, not cut at its edge.
func (p Pane) wrapped(lines []string) []string {
	if p.width < 20 {
		return lines
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, cell.Wrap(l, p.width)...)
	}
	return out
}

func (p Pane) titleLine(title string) string {
	g := p.th.Glyphs
	s := cell.Fit(p.th.TitleLead(p.focus)+" "+cell.Clean(title)+" ", max(p.width-1, 0), g.Ellipsis)
	s = strings.TrimRight(s, " ") + " "
	s = cell.Fit(s+p.th.TitleRule(p.width, p.focus), p.width, "")
	if p.focus {
		return p.th.Title.Render(s)
	}
	return s
}

// content builds every line of the selected host's detail.
func (p Pane) content() []string {
	h := p.host
	if h == nil {
		return []string{"  no host selected"}
	}
	if !h.Reported {
		return []string{"  " + p.th.StatusLabel(probes.UNKNOWN, true) + "  waiting for the first probe of this host"}
	}
	r := h.Report
	lines := []string{p.summaryLine(h)}
	if h.Ack != nil {
		// the whole ack, note included: the table shows only its owner
		lines = append(lines, "  "+p.th.Highlight.Render(h.Ack.Full(p.now())))
	}
	// what is wrong first: failing checks with their details, then the
	// passing ones one line each (their details are in the details view)
	lines = append(lines, p.th.Title.Render("Checks"))
	for _, c := range r.Checks {
		if c.Status != probes.OK {
			lines = append(lines, p.checkLines(c, true)...)
		}
	}
	for _, c := range r.Checks {
		if c.Status == probes.OK {
			lines = append(lines, p.checkLines(c, false)...)
		}
	}
	running, _ := h.VMs()
	lines = append(lines, p.vmLines(h)...)
	lines = append(lines, p.resourceLines(r, running)...)
	lines = append(lines, "  latency "+Sparkline(h.History(), p.th.Glyphs)+"  "+cell.Latency(r.SSHLatency))
	lines = append(lines, p.th.Title.Render("Recent events"))
	evs := p.log.Recent(h.Name, recentEvents)
	for _, e := range evs {
		lines = append(lines, "  "+eventlog.Line(p.th, e, false, p.width-2, p.now()))
	}
	if len(evs) == 0 {
		lines = append(lines, "  none")
	}
	return lines
}

func (p Pane) summaryLine(h *fleet.Host) string {
	s := h.Status()
	_, kindVer, _, _, _ := h.Cells()
	line := "  " + p.th.Status(s, false).Render(p.th.StatusLabel(s, false)) +
		"  " + h.SinceText(p.now()) + "  " + kindVer
	if len(h.Tags) > 0 {
		line += "  tags " + strings.Join(h.Tags, ",")
	}
	return line
}

// checkLines is a check's status, name and summary (its cause first), and
// with details its detail lines. The error chain is for the details view
// (d), not for the pane.
func (p Pane) checkLines(c probes.Result, details bool) []string {
	label := cell.Fit(p.th.StatusLabel(c.Status, false), 9, "")
	indent := cell.Spaces(2 + 9 + 1 + 11 + 1)
	sum := p.hang(cell.Clean(c.Summary), indent)
	out := []string{"  " + p.th.Status(c.Status, false).Render(label) + " " +
		cell.Fit(cell.Clean(c.Check), 11, p.th.Glyphs.Ellipsis) + " " + sum[0]}
	out = append(out, sum[1:]...)
	if !details {
		return out
	}
	for _, d := range cell.CleanLines(c.Details) {
		dl := p.hang(d, indent)
		dl[0] = indent + dl[0]
		out = append(out, dl...)
	}
	return out
}

// hang wraps text to the pane's width after indent, every line but the
// first indented: a check's cause reads whole, aligned under itself.
func (p Pane) hang(text, indent string) []string {
	room := p.width - len(indent)
	if room < 16 || cell.Width(text) <= room {
		return []string{text}
	}
	lines := strings.Split(ansi.Wrap(text, room, " "), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = indent + strings.TrimLeft(lines[i], " ")
	}
	return lines
}

// vmLines are the VM list under its heading. A stale list (the host or its
// daemon did not answer) says so and when it was read: it is the blast
// radius an operator needs first, never "none".
func (p Pane) vmLines(h *fleet.Host) []string {
	r := h.Report
	running, total := h.VMs()
	head := "VMs " + strconv.Itoa(running) + "/" + strconv.Itoa(total) + " running"
	if h.VMsStale() {
		head = strconv.Itoa(total) + " VMs as of " + cell.Clock(r.VMsAsOf, p.now()) +
			" (last read; " + strconv.Itoa(running) + " running then)"
	}
	lines := []string{p.th.Title.Render(head)}
	for _, vm := range r.VMs {
		lines = append(lines, p.vmLine(vm))
	}
	if total == 0 {
		lines = append(lines, "  none")
	}
	return lines
}

func (p Pane) vmLine(vm probes.VM) string {
	state := cell.Clean(vm.State)
	if vm.Reason != "" {
		state += " (" + cell.Clean(vm.Reason) + ")"
	}
	mark := "  "
	if VMProblem(vm) {
		mark = p.th.Warn.Render(p.th.Glyphs.Warn) + " "
		if p.th.Glyphs.Bracket {
			mark = "! "
		}
	}
	auto := ""
	if vm.Autostart {
		auto = "  autostart"
	}
	return "  " + mark + cell.Fit(cell.Clean(vm.Name), 20, p.th.Glyphs.Ellipsis) + " " + state + auto
}

// VMProblem reports a VM worth an operator's eye: one the probes rated
// other than OK (crashed, paused on an error, autostart but down, a
// Hyper-V VM saved or critical). The rating is the probes' alone.
func VMProblem(vm probes.VM) bool { return vm.Status != probes.OK }

// Sparkline draws latency samples scaled to their maximum; a zero sample
// (no answer) shows as the missing glyph.
func Sparkline(samples []time.Duration, g theme.Glyphs) string {
	var peak time.Duration
	for _, s := range samples {
		peak = max(peak, s)
	}
	var b strings.Builder
	top := len(g.Spark) - 1
	for _, s := range samples {
		if s <= 0 || peak <= 0 {
			b.WriteString(g.SparkMissing)
			continue
		}
		b.WriteString(g.Spark[int(int64(s)*int64(top)/int64(peak))])
	}
	return b.String()
}
