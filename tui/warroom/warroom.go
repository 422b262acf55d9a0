// Package warroom draws the war-room view: a full-screen grid of host
// tiles, worst first, readable across a room. Each tile is a solid status
// band with the status word, then the host name, its VM counts and the
// failing check. It is read-only: it only pages.
package warroom

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

const (
	minTileW = 18
	maxTileW = 34
	tileH    = 4 // band, name, VMs, check
	gapX     = 1
	gapY     = 1
)

// Source is what the grid needs from the fleet: hosts in worst-first
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

// New returns an empty grid.
func New(th theme.Theme, km keys.Map) Grid { return Grid{th: th, keys: km} }

// SetSize sets the grid's box.
func (g *Grid) SetSize(w, h int) { g.width, g.height = max(w, 0), max(h, 0) }

// Update pages through tiles when the fleet does not fit on one screen.
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

// geometry returns columns, rows of tiles and the tile width for the box.
func (g Grid) geometry() (cols, rows, tileW int) {
	cols = max((g.width+gapX)/(minTileW+gapX), 1)
	tileW = min((g.width+gapX)/cols-gapX, maxTileW)
	rows = max((g.height+gapY)/(tileH+gapY), 0)
	return cols, rows, tileW
}

// View draws one page of tiles from src in its order; the last line says
// how many hosts are on other pages.
func (g Grid) View(src Source) string {
	if g.width <= 0 || g.height <= 0 {
		return ""
	}
	cols, rows, tileW := g.geometry()
	perPage := cols * rows
	if perPage == 0 || tileW < 4 {
		return cell.Fit("enlarge the terminal for the war-room grid", g.width, "")
	}
	pages := max((src.Shown()+perPage-1)/perPage, 1)
	page := min(g.page, pages-1)
	if pages > 1 && rows > 1 && src.Shown() > perPage {
		// keep the last line for the page note
		rows = (g.height - 1 + gapY) / (tileH + gapY)
		perPage = cols * rows
		pages = max((src.Shown()+perPage-1)/perPage, 1)
		page = min(g.page, pages-1)
	}
	tiles := make([]*fleet.Host, 0, perPage)
	skip := page * perPage
	src.Ordered(func(h *fleet.Host) bool {
		if skip > 0 {
			skip--
			return true
		}
		tiles = append(tiles, h)
		return len(tiles) < perPage
	})
	lines := make([]string, 0, g.height)
	for r := 0; r*cols < len(tiles); r++ {
		row := tiles[r*cols : min((r+1)*cols, len(tiles))]
		lines = append(lines, g.tileRow(row, tileW)...)
		if len(lines) < g.height {
			lines = append(lines, "")
		}
	}
	if pages > 1 {
		for len(lines) < g.height-1 {
			lines = append(lines, "")
		}
		note := "page " + strconv.Itoa(page+1) + "/" + strconv.Itoa(pages) + "  pgup/pgdown for more hosts"
		lines = append(lines[:min(len(lines), g.height-1)], cell.Fit(note, g.width, ""))
	}
	for len(lines) < g.height {
		lines = append(lines, "")
	}
	return strings.Join(lines[:g.height], "\n")
}

// tileRow draws one row of tiles as tileH lines.
func (g Grid) tileRow(row []*fleet.Host, tileW int) []string {
	var b [tileH]strings.Builder
	ell := g.th.Glyphs.Ellipsis
	for i, h := range row {
		if i > 0 {
			for l := range b {
				b[l].WriteString(cell.Spaces(gapX))
			}
		}
		label := g.th.StatusLabel(h.Status(), h.Pending())
		band := cell.Fit(center(label, tileW), tileW, "")
		b[0].WriteString(g.th.Band(h.Status(), h.Pending()).Render(band))
		b[1].WriteString(g.th.Title.Render(cell.Fit(" "+h.Name, tileW, ell)))
		running, total := h.VMs()
		vms := " -"
		if h.Reported {
			vms = " VMs " + strconv.Itoa(running) + "/" + strconv.Itoa(total)
		}
		b[2].WriteString(cell.Fit(vms, tileW, ell))
		b[3].WriteString(cell.Fit(" "+h.WorstFailing(), tileW, ell))
	}
	out := make([]string, tileH)
	for l := range b {
		out[l] = cell.Fit(b[l].String(), g.width, "")
	}
	return out
}

// center pads s on the left so it sits in the middle of width cells.
func center(s string, width int) string {
	pad := (width - len([]rune(s))) / 2
	return cell.Spaces(pad) + s
}
