// Package warroom draws the war-room wall: problems first. CRIT, UNKNOWN
// and WARN hosts get large tiles (a solid status band, the name, the cause
// and how long the console has seen it); healthy hosts are condensed to
// small name cells, or to a count when even those do not fit. A clock and
// the time of the last update head the wall, so a frozen screen is seen to
// be frozen. When the problems do not fit one screen the wall pages by
// itself (the console advances it on a timer) and with pgup/pgdn. It is
// read-only.
package warroom

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

const (
	minTileW = 24
	maxTileW = 40
	tileH    = 5 // band, name, cause (two lines), seen for + VMs
	gapX     = 1
	gapY     = 1
	okCellW  = 14
	// PageEvery is how often the console turns the wall's page when the
	// problems do not fit.
	PageEvery = 8 * time.Second
)

// Source is what the wall needs from the fleet: hosts in worst-first
// order. fleet.Table satisfies it.
type Source interface {
	Ordered(fn func(*fleet.Host) bool)
	Shown() int
}

// Grid is the war-room widget.
type Grid struct {
	th     theme.Theme
	keys   keys.Map
	width  int
	height int
	page   int
}

// New returns an empty wall.
func New(th theme.Theme, km keys.Map) Grid { return Grid{th: th, keys: km} }

// SetSize sets the wall's box.
func (g *Grid) SetSize(w, h int) { g.width, g.height = max(w, 0), max(h, 0) }

// Update pages on the paging keys.
func (g Grid) Update(msg tea.Msg) (Grid, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return g, nil
	}
	switch g.keys.Resolve(k, false, true) {
	case keys.PageDown, keys.Down:
		g.page++
	case keys.PageUp, keys.Up:
		g.page--
	case keys.Top:
		g.page = 0
	case keys.Bottom:
		g.page = 1 << 20
	}
	g.page = max(g.page, 0)
	return g, nil
}

// NextPage turns to the next page, back to the first after the last; the
// console calls it every PageEvery while the wall has several pages.
func (g *Grid) NextPage(src Source) {
	g.page++
	if g.page >= g.Pages(src) {
		g.page = 0
	}
}

// split sorts the shown hosts into problems (in worst-first order) and the
// healthy rest.
func split(src Source) (problems, healthy []*fleet.Host) {
	src.Ordered(func(h *fleet.Host) bool {
		if h.Reported && h.Status() != probes.OK {
			problems = append(problems, h)
		} else {
			healthy = append(healthy, h)
		}
		return true
	})
	return problems, healthy
}

// geometry returns the tile columns and width and how many tile rows fit
// in rows lines.
func (g Grid) geometry(rows int) (cols, tileW, tileRows int) {
	cols = max((g.width+gapX)/(minTileW+gapX), 1)
	tileW = min((g.width+gapX)/cols-gapX, maxTileW)
	tileRows = max((rows+gapY)/(tileH+gapY), 0)
	return cols, tileW, tileRows
}

// body is the lines under the head line; the last is the paging note.
func (g Grid) bodyRows() int { return max(g.height-2, 0) }

// Pages is how many pages the problems need.
func (g Grid) Pages(src Source) int {
	problems, _ := split(src)
	cols, _, tileRows := g.geometry(g.bodyRows() - 1)
	per := max(cols*tileRows, 1)
	return max((len(problems)+per-1)/per, 1)
}

// View draws the wall: the head line (counts, clock, last update), one
// page of problem tiles, the healthy hosts condensed, and the page note.
// lastUpdate is when every host last reported (zero: not yet).
func (g Grid) View(src Source, now, lastUpdate time.Time) string {
	if g.width <= 0 || g.height <= 0 {
		return ""
	}
	cols, tileW, tileRows := g.geometry(g.bodyRows() - 1)
	if tileW < 12 || g.height < 4 {
		return cell.Fit("enlarge the terminal for the war-room wall", g.width, "")
	}
	problems, healthy := split(src)
	per := max(cols*tileRows, 1)
	pages := max((len(problems)+per-1)/per, 1)
	page := min(g.page, pages-1)
	lines := []string{g.head(len(problems), len(healthy), now, lastUpdate)}
	shown := problems[min(page*per, len(problems)):min((page+1)*per, len(problems))]
	for r := 0; r*cols < len(shown); r++ {
		row := shown[r*cols : min((r+1)*cols, len(shown))]
		lines = append(lines, g.tileRow(row, tileW, now)...)
		lines = append(lines, "")
	}
	if len(problems) == 0 {
		lines = append(lines, g.th.BandOK.Render(cell.Fit("  every host OK", g.width, "")), "")
	}
	room := g.height - 1 - len(lines)
	lines = append(lines, g.healthyLines(healthy, room)...)
	for len(lines) < g.height-1 {
		lines = append(lines, "")
	}
	note := ""
	if pages > 1 {
		note = "problems page " + strconv.Itoa(page+1) + "/" + strconv.Itoa(pages) + " " + g.th.Glyphs.Dot +
			" turns every " + strconv.Itoa(int(PageEvery/time.Second)) + "s " + g.th.Glyphs.Dot + " pgup/pgdn"
	}
	lines = append(lines[:g.height-1], cell.Fit(note, g.width, ""))
	return strings.Join(lines, "\n")
}

// head is "4 CRIT · 2 WARN · 494 OK        04:40:12 · updated 04:40:10 (2s ago)".
func (g Grid) head(problems, healthy int, now, last time.Time) string {
	d := " " + g.th.Glyphs.Dot + " "
	counts := strconv.Itoa(problems) + " need attention" + d + strconv.Itoa(healthy) + " OK"
	clock := cell.Clock(now, now) + d
	if last.IsZero() {
		clock += "first round running"
	} else {
		clock += "updated " + cell.Clock(last, now) + " (" + cell.Age(now.Sub(last)) + " ago)"
	}
	gap := g.width - cell.Width(counts) - cell.Width(clock)
	if gap < 1 {
		return g.th.Title.Render(cell.Fit(clock+"  "+counts, g.width, g.th.Glyphs.Ellipsis))
	}
	return g.th.Title.Render(counts + cell.Spaces(gap) + clock)
}

// tileRow draws one row of problem tiles as tileH lines.
func (g Grid) tileRow(row []*fleet.Host, tileW int, now time.Time) []string {
	var b [tileH]strings.Builder
	ell := g.th.Glyphs.Ellipsis
	for i, h := range row {
		if i > 0 {
			for l := range b {
				b[l].WriteString(cell.Spaces(gapX))
			}
		}
		label := g.th.StatusLabel(h.Status(), h.Pending())
		b[0].WriteString(g.th.Band(h.Status(), h.Pending()).Render(cell.Fit(center(label+"  "+h.Name, tileW), tileW, ell)))
		cause := wrapTwo(" "+h.WorstFailing(), tileW)
		b[1].WriteString(g.th.Title.Render(cell.Fit(cause[0], tileW, ell)))
		b[2].WriteString(cell.Fit(cause[1], tileW, ell))
		b[3].WriteString(cell.Fit(" "+forText(h, now), tileW, ell))
		b[4].WriteString(cell.Fit(" "+ackOrVMs(h, now), tileW, ell))
	}
	out := make([]string, tileH)
	for l := range b {
		out[l] = cell.Fit(b[l].String(), g.width, "")
	}
	return out
}

// ackOrVMs is the tile's last line: who owns the problem when someone
// does (the room must see it is taken), else the VM count.
func ackOrVMs(h *fleet.Host, now time.Time) string {
	if h.Ack != nil {
		return h.Ack.Full(now)
	}
	return vmText(h, now)
}

// vmText is "VMs 4/6", or "VMs (4/6) as of 02:16:40" for a stale list.
func vmText(h *fleet.Host, now time.Time) string {
	running, total := h.VMs()
	s := strconv.Itoa(running) + "/" + strconv.Itoa(total)
	if h.VMsStale() {
		return "VMs (" + s + ") as of " + cell.Clock(h.Report.VMsAsOf, now)
	}
	return "VMs " + s
}

// wrapTwo splits s over two lines of width cells at a space when it can.
func wrapTwo(s string, width int) [2]string {
	if cell.Width(s) <= width {
		return [2]string{s, ""}
	}
	cut := strings.LastIndex(cell.Fit(s, width, ""), " ")
	if cut <= 1 {
		return [2]string{s, ""}
	}
	return [2]string{s[:cut], " " + strings.TrimLeft(s[cut:], " ")}
}

// healthyLines condenses the healthy hosts into rows of name cells in
// room lines, ending with a count of those that do not fit.
func (g Grid) healthyLines(healthy []*fleet.Host, room int) []string {
	if len(healthy) == 0 || room <= 0 {
		return nil
	}
	perLine := max(g.width/(okCellW+1), 1)
	title := g.th.Dim.Render(cell.Fit(strconv.Itoa(len(healthy))+" OK or not yet probed", g.width, ""))
	if room == 1 {
		return []string{title}
	}
	lines := []string{title}
	i := 0
	for len(lines) < room && i < len(healthy) {
		var b strings.Builder
		for c := 0; c < perLine && i < len(healthy); c++ {
			if len(lines) == room-1 && c == perLine-1 && i < len(healthy)-1 {
				b.WriteString(cell.Fit("+"+strconv.Itoa(len(healthy)-i)+" more", okCellW, ""))
				i = len(healthy)
				break
			}
			h := healthy[i]
			mark := g.th.Glyphs.OK
			if h.Pending() {
				mark = g.th.Glyphs.Pending
			}
			if g.th.Glyphs.Bracket {
				mark = "+"
				if h.Pending() {
					mark = "-"
				}
			}
			b.WriteString(cell.Fit(mark+" "+h.Name, okCellW, g.th.Glyphs.Ellipsis) + " ")
			i++
		}
		lines = append(lines, cell.Fit(b.String(), g.width, ""))
	}
	return lines
}

// center pads s on the left so it sits in the middle of width cells.
func center(s string, width int) string {
	pad := max((width-cell.Width(s))/2, 0)
	return cell.Spaces(pad) + s
}

// forText is how long a tile's host has been in its state: "for 6m (host's
// time)" when the host told it, else "seen for 4s".
func forText(h *fleet.Host, now time.Time) string {
	if h.ChangedByHost {
		return "for " + cell.Age(now.Sub(h.Changed)) + " (host's time)"
	}
	return "seen for " + cell.Age(now.Sub(h.Changed))
}
