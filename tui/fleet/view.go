package fleet

import (
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// Fixed column widths. The name and check columns share what is left; the
// kind column only appears from 100 columns up and the MEM/DISK column
// from memDiskFrom up (see resources.go), the latter taking its cells from
// the check column alone. The SITE column appears when hosts have sites
// (an attached console) and the table is at least siteFrom wide, as wide
// as the widest site but at most siteMaxW and an eighth of the table.
const (
	cursorW  = 3 // cursor, mark, space
	statusW  = 9 // "? UNKNOWN", "[PENDING]"
	vmsW     = 7
	latW     = 6
	sinceW   = 5
	siteFrom = 60
	siteMaxW = 16
)

// layout is the column widths for one table width (0: column hidden).
type layout struct {
	site, name, kind, memDisk, check int
}

// siteCells is what the SITE column takes with its gap (0 when hidden).
func (l layout) siteCells() int {
	if l.site == 0 {
		return 0
	}
	return l.site + 1
}

func newLayout(w, siteW int) layout {
	fixed := cursorW + statusW + 1 + 1 + vmsW + 1 + 1 + latW + 1 + sinceW
	var l layout
	if siteW > 0 && w >= siteFrom {
		l.site = min(max(siteW, len("SITE")), siteMaxW, w/8)
		fixed += l.site + 1
	}
	l.fill(w, fixed)
	// the hypervisor column only where the cause keeps its room: the
	// cause never gets narrower as the terminal gets wider
	if kind := min(28, w/6); w >= 100 {
		with := layout{site: l.site, kind: kind}
		with.fill(w, fixed+kind+1)
		if with.check >= minCauseWithKind {
			l = with
		}
	}
	return l
}

// minCauseWithKind is the cause column's width below which the hypervisor
// column is left out.
const minCauseWithKind = 40

// fill splits what the fixed columns leave between the name and the cause
// (less MEM/DISK where it shows).
func (l *layout) fill(w, fixed int) {
	rest := max(w-fixed, 0)
	l.name = min(max(rest*2/5, 12), 36)
	l.check = max(rest-l.name, 0)
	if w >= memDiskFrom {
		l.memDisk = memDiskW
		l.check = max(l.check-memDiskW-1, 0)
	}
}

// statusCells are the status labels fitted and styled once per theme, so
// drawing a row allocates nothing for its status.
type statusCells struct {
	plain  [5]string // index: status, 4 = pending
	styled [5]string
}

func newStatusCells(th theme.Theme) statusCells {
	var c statusCells
	for i := 0; i < 5; i++ {
		s, pending := statusOf(i)
		c.plain[i] = cell.Fit(th.StatusLabel(s, pending), statusW, "")
		c.styled[i] = th.Status(s, pending).Render(c.plain[i])
	}
	return c
}

func (h *Host) cellIndex() int {
	if !h.Reported {
		return 4
	}
	return statusIndex(h.Status())
}

// View draws the title, the column header and only the visible rows.
func (t Table) View() string {
	if t.width <= 0 || t.height <= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(t.width * t.height * 2)
	b.WriteString(t.title())
	if t.height == 1 {
		return b.String()
	}
	b.WriteByte('\n')
	b.WriteString(t.th.Dim.Render(t.header()))
	now := t.now()
	end := min(t.offset+t.pageRows(), len(t.order))
	lines := 2
	for pos := t.offset; pos < end; pos++ {
		b.WriteByte('\n')
		t.writeRow(&b, t.rows[t.order[pos]], pos == t.cursor, now)
		lines++
	}
	if len(t.order) == 0 && t.height > 2 {
		b.WriteByte('\n')
		b.WriteString(cell.Fit(t.emptyText(), t.width, t.th.Glyphs.Ellipsis))
		lines++
	}
	for ; lines < t.height; lines++ {
		b.WriteByte('\n')
	}
	return b.String()
}

func (t Table) emptyText() string {
	if len(t.rows) == 0 {
		return "  no hosts in the inventory"
	}
	return "  no hosts match filter \"" + t.filter.Text() + "\" (esc clears)"
}

func (t Table) title() string {
	g := t.th.Glyphs
	s := t.th.TitleLead(t.focused) + " Fleet " + strconv.Itoa(len(t.order))
	if len(t.order) != len(t.rows) {
		s += " of " + strconv.Itoa(len(t.rows))
	}
	if n := len(t.marks); n > 0 {
		s += " " + g.Dot + " " + strconv.Itoa(n) + " marked"
	}
	s += " " + g.Dot + " sort: " + t.mode.String()
	if t.follow {
		s += " " + g.Dot + " following top row"
	}
	if !t.filter.Empty() || t.filter.Text() != "" {
		s += " " + g.Dot + " filter: " + cell.Clean(t.filter.Text())
	}
	s += " "
	s = cell.Fit(s, t.width, g.Ellipsis)
	s = strings.TrimRight(s, " ") + " "
	s += t.th.TitleRule(t.width-len([]rune(s)), t.focused)
	s = cell.Fit(s, t.width, "")
	if t.focused {
		return t.th.Title.Render(s)
	}
	return s
}

func (t Table) header() string {
	var b strings.Builder
	b.WriteString(cell.Spaces(cursorW))
	b.WriteString(cell.Fit("STATUS", statusW, ""))
	b.WriteByte(' ')
	if t.cols.site > 0 {
		b.WriteString(cell.Fit("SITE", t.cols.site, ""))
		b.WriteByte(' ')
	}
	b.WriteString(cell.Fit("HOST", t.cols.name, ""))
	b.WriteByte(' ')
	if t.cols.kind > 0 {
		b.WriteString(cell.Fit("HYPERVISOR", t.cols.kind, ""))
		b.WriteByte(' ')
	}
	b.WriteString(cell.FitRight("VMS", vmsW, ""))
	b.WriteByte(' ')
	if t.cols.memDisk > 0 {
		b.WriteString(cell.FitRight("MEM/DISK", t.cols.memDisk, ""))
		b.WriteByte(' ')
	}
	b.WriteString(cell.Fit("CHECK", t.cols.check, ""))
	b.WriteByte(' ')
	b.WriteString(cell.FitRight("SSH", latW, ""))
	b.WriteByte(' ')
	// SINCE: how long the host has been in its state, by the host's own
	// time where it told it, else since this console saw it (the host
	// pane and the war room say which)
	b.WriteString(cell.FitRight("SINCE", sinceW, ""))
	return cell.Fit(b.String(), t.width, "")
}

func (t Table) writeRow(b *strings.Builder, h *Host, selected bool, now time.Time) {
	var row strings.Builder
	row.Grow(t.width + 64) // room for two styled cells' escapes
	ell := t.th.Glyphs.Ellipsis
	t.writeGutter(&row, h, selected)
	if selected {
		row.WriteString(t.labels.plain[h.cellIndex()])
	} else {
		row.WriteString(t.labels.styled[h.cellIndex()])
	}
	row.WriteByte(' ')
	if t.cols.site > 0 {
		// the site has its column: the name goes without its "site/"
		// prefix (which keeps it unique among merged collectors)
		writeFit(&row, h.Site, t.cols.site, ell)
		row.WriteByte(' ')
		writeFit(&row, h.siteNameTags, t.cols.name, ell)
	} else {
		writeFit(&row, h.nameTags, t.cols.name, ell)
	}
	row.WriteByte(' ')
	if t.cols.kind > 0 {
		writeFit(&row, h.kindVer, t.cols.kind, ell)
		row.WriteByte(' ')
	}
	writeFitRight(&row, h.vms, vmsW, ell)
	row.WriteByte(' ')
	if t.cols.memDisk > 0 {
		// cached at report time, already padded to the column
		if selected {
			row.WriteString(h.memDisk)
		} else {
			row.WriteString(h.memDiskStyled)
		}
		row.WriteByte(' ')
	}
	check := h.checkCell(now)
	if busy, ok := t.busy[h.Name]; ok {
		check = busy
	}
	writeFit(&row, check, t.cols.check, ell)
	row.WriteByte(' ')
	writeFitRight(&row, h.latency, latW, ell)
	row.WriteByte(' ')
	since := "-"
	if h.Reported {
		since = cell.Age(now.Sub(h.Changed))
	}
	writeFitRight(&row, since, sinceW, ell)
	line := row.String()
	if t.cols.check == 0 || cursorW+statusW+1+t.cols.siteCells()+t.cols.name > t.width {
		line = cell.Fit(line, t.width, "")
	}
	if selected {
		line = t.th.Selected.Render(line)
	}
	b.WriteString(line)
}

// writeGutter writes the cursor and mark column: "›● " for a selected,
// marked row. The mark is a glyph, not a colour, so it survives NO_COLOR.
func (t Table) writeGutter(row *strings.Builder, h *Host, selected bool) {
	if selected {
		row.WriteString(t.th.Glyphs.Cursor)
	} else {
		row.WriteByte(' ')
	}
	if _, ok := t.marks[h.Name]; ok {
		row.WriteString(t.th.Glyphs.Mark)
	} else {
		row.WriteByte(' ')
	}
	row.WriteByte(' ')
}

// writeFit writes s fitted to width cells like cell.Fit, but pads by
// writing the blanks after s instead of concatenating: most cells are
// shorter than their column, and each concatenation is an allocation per
// visible row per frame.
func writeFit(b *strings.Builder, s string, width int, tail string) {
	if w := cell.Width(s); w <= width {
		b.WriteString(s)
		b.WriteString(cell.Spaces(width - w))
		return
	}
	b.WriteString(cell.Fit(s, width, tail))
}

// writeFitRight is writeFit aligned right, as cell.FitRight.
func writeFitRight(b *strings.Builder, s string, width int, tail string) {
	if w := cell.Width(s); w <= width {
		b.WriteString(cell.Spaces(width - w))
		b.WriteString(s)
		return
	}
	b.WriteString(cell.Fit(s, width, tail))
}

// nextChange wraps cell.NextAgeChange for rows.
func nextChange(d time.Duration) time.Duration { return cell.NextAgeChange(d) }
