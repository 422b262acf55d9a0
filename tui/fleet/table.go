package fleet

import (
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// Counts is the fleet summary shown in the header.
type Counts struct {
	// ByStatus is indexed by probes.Status (OK..UNKNOWN).
	ByStatus          [4]int
	Pending           int
	Running, VMsTotal int
	// StaleVMs counts hosts whose VM list is the last one read, not this
	// round's: the totals are partial then.
	StaleVMs int
}

// Table is the fleet table widget and the store of host rows behind it.
// Rows are pointers so the host pane can show the selected row live.
type Table struct {
	th   theme.Theme
	keys keys.Map
	now  func() time.Time

	rows  []*Host
	index map[string]int
	order []int // rows shown, filtered and sorted
	dirty bool  // order must be rebuilt from scratch
	moved []int // rows whose position may have changed since Settle

	mode   SortMode
	filter Filter

	cursor, offset int
	selected       string
	// follow keeps the cursor on the top row across re-sorts until the
	// operator first moves, looks at or acts on a host (Pin): a fresh
	// console shows the worst host, not whichever host happened to be
	// first before any report. Once pinned it never comes back by itself,
	// and the title says "following worst" while it is on.
	follow bool

	width, height int
	cols          layout
	// siteW is the widest site any row has shown (0: no row has a site,
	// so no SITE column); it only grows, so the columns never jump back.
	siteW   int
	counts  Counts
	focused bool
	labels  statusCells

	// marks are the hosts marked for a bulk action, by name; they survive
	// filtering and re-sorting. busy holds the text shown instead of the
	// worst check while an action runs on a host ("restarting…").
	marks map[string]struct{}
	busy  map[string]string
}

// New builds the table from the inventory, in worst-first order.
func New(inventory []hosts.Host, th theme.Theme, km keys.Map, now func() time.Time) Table {
	t := Table{th: th, keys: km, now: now, index: make(map[string]int, len(inventory)), follow: true,
		marks: map[string]struct{}{}, busy: map[string]string{}}
	t.labels = newStatusCells(th)
	for _, h := range inventory {
		if _, dup := t.index[h.Name]; dup {
			continue
		}
		t.addRow(NewHost(h))
	}
	t.dirty = true
	t.Settle()
	return t
}

func (t *Table) addRow(h *Host) *Host {
	t.index[h.Name] = len(t.rows)
	t.rows = append(t.rows, h)
	t.counts.Pending++
	return h
}

// Apply folds one report into its row in place (adding a row for a host
// not in the inventory) and returns the previous report for event diffing.
// It never re-sorts: call Settle once after a batch.
func (t *Table) Apply(r probes.HostReport) (prev probes.HostReport, hadPrev bool) {
	i, ok := t.index[r.Host]
	if !ok {
		h := NewHost(hosts.Host{Name: r.Host, Address: r.Address, Tags: r.Tags, Hypervisor: r.Kind})
		t.addRow(h)
		i = len(t.rows) - 1
		t.moved = append(t.moved, i)
	}
	h := t.rows[i]
	prev, hadPrev = h.Report, h.Reported
	t.uncount(h)
	c := h.apply(r, t.now())
	h.setMemDisk(newMemDiskKey(r), t.th)
	t.count(h)
	if c.site {
		t.growSite(h.Site)
	}
	if t.mode.affectedBy(c) || (c.status && t.filter.dependsOnStatus()) || (c.site && !t.filter.Empty()) {
		t.moved = append(t.moved, i)
	}
	return prev, hadPrev
}

// growSite widens the SITE column (showing it first) for a new site.
func (t *Table) growSite(site string) {
	if w := cell.Width(site); w > t.siteW {
		t.siteW = w
		t.cols = newLayout(t.width, t.siteW)
	}
}

// HasSites reports whether any host came through a collector, i.e. the
// table has a SITE column (when wide enough) and a site sort.
func (t Table) HasSites() bool { return t.siteW > 0 }

// NextSort is the order s moves to: the next mode, skipping the site
// order when no host has a site.
func (t Table) NextSort() SortMode {
	m := t.mode.Next()
	if m == SortSite && !t.HasSites() {
		m = m.Next()
	}
	return m
}

func (t *Table) uncount(h *Host) {
	if !h.Reported {
		t.counts.Pending--
		return
	}
	t.counts.ByStatus[statusIndex(h.Status())]--
	t.counts.Running -= h.running
	t.counts.VMsTotal -= h.total
	if h.VMsStale() {
		t.counts.StaleVMs--
	}
}

func (t *Table) count(h *Host) {
	t.counts.ByStatus[statusIndex(h.Status())]++
	t.counts.Running += h.running
	t.counts.VMsTotal += h.total
	if h.VMsStale() {
		t.counts.StaleVMs++
	}
}

func statusIndex(s probes.Status) int {
	if s < probes.OK || s > probes.UNKNOWN {
		return int(probes.UNKNOWN)
	}
	return int(s)
}

// maxMoves is the most rows Settle repositions one by one; more than that
// and a full re-sort is cheaper.
const maxMoves = 64

// Settle re-filters and re-sorts if anything order-affecting changed since
// the last call, keeping the selected host selected. It is the only place
// the order changes, so a batch of reports costs at most one sort; a few
// moved rows are repositioned by binary insertion instead.
func (t *Table) Settle() {
	switch {
	case t.dirty || len(t.moved) > maxMoves:
		t.rebuild()
	case len(t.moved) > 0:
		t.reposition()
	default:
		return
	}
	t.dirty, t.moved = false, t.moved[:0]
	t.cursor = 0
	for pos, i := range t.order {
		if !t.follow && t.rows[i].Name == t.selected {
			t.cursor = pos
			break
		}
	}
	t.clamp()
}

func (t *Table) rebuild() {
	t.order = t.order[:0]
	for i, h := range t.rows {
		if t.filter.Match(h) {
			t.order = append(t.order, i)
		}
	}
	slices.SortFunc(t.order, t.compare)
}

func (t *Table) compare(a, b int) int { return compareHosts(t.mode, t.rows[a], t.rows[b]) }

// reposition takes the moved rows out of the order, then inserts each one
// that passes the filter where it now belongs. Removing all first keeps
// the rest sorted, which the binary search needs.
func (t *Table) reposition() {
	slices.Sort(t.moved)
	t.moved = slices.Compact(t.moved)
	t.order = slices.DeleteFunc(t.order, func(i int) bool {
		_, found := slices.BinarySearch(t.moved, i)
		return found
	})
	for _, i := range t.moved {
		if !t.filter.Match(t.rows[i]) {
			continue
		}
		pos, _ := slices.BinarySearchFunc(t.order, i, t.compare)
		t.order = slices.Insert(t.order, pos, i)
	}
}

// Counts returns the fleet summary, kept up to date incrementally.
func (t Table) Counts() Counts { return t.counts }

// Total is the number of hosts.
func (t Table) Total() int { return len(t.rows) }

// Shown is how many hosts pass the filter.
func (t Table) Shown() int { return len(t.order) }

// Selected returns the host under the cursor, or nil when none is shown.
func (t Table) Selected() *Host {
	if t.cursor < 0 || t.cursor >= len(t.order) {
		return nil
	}
	return t.rows[t.order[t.cursor]]
}

// Lookup returns a host by name.
func (t Table) Lookup(name string) (*Host, bool) {
	i, ok := t.index[name]
	if !ok {
		return nil, false
	}
	return t.rows[i], true
}

// Ordered calls fn for the shown hosts in table order until it returns false.
func (t Table) Ordered(fn func(*Host) bool) {
	for _, i := range t.order {
		if !fn(t.rows[i]) {
			return
		}
	}
}

// SortMode returns the current order.
func (t Table) SortMode() SortMode { return t.mode }

// SetSort changes the order.
func (t *Table) SetSort(m SortMode) {
	t.mode, t.dirty = m, true
	t.Settle()
}

// Filter returns the current filter.
func (t Table) Filter() Filter { return t.filter }

// SetFilter applies a filter as typed; the cursor stays on the selected
// host when it still matches.
func (t *Table) SetFilter(text string) {
	t.filter, t.dirty = ParseFilter(text), true
	t.Settle()
}

// SetFocused marks the table as the pane keys go to.
func (t *Table) SetFocused(f bool) { t.focused = f }

// SetSize sets the table's box, including its title and header lines.
func (t *Table) SetSize(w, h int) {
	t.width, t.height = max(w, 0), max(h, 0)
	t.cols = newLayout(t.width, t.siteW)
	t.clamp()
}

// pageRows is how many host rows fit under the title and column header.
func (t Table) pageRows() int { return max(t.height-2, 0) }

// Update moves the cursor on navigation keys.
func (t Table) Update(msg tea.Msg) (Table, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return t, nil
	}
	page := max(t.pageRows(), 1)
	act := t.keys.Resolve(k, false, false)
	switch act {
	case keys.Up:
		t.cursor--
	case keys.Down:
		t.cursor++
	case keys.Top:
		t.cursor = 0
	case keys.Bottom:
		t.cursor = len(t.order) - 1
	case keys.PageUp:
		t.cursor -= page
	case keys.PageDown:
		t.cursor += page
	default:
		return t, nil
	}
	t.follow = false
	t.clamp()
	return t, nil
}

// Pin ends following: the selected host stays selected across re-sorts
// until the operator moves the cursor. The console pins on every key that
// looks at, marks or acts on a host.
func (t *Table) Pin() { t.follow = false }

// Following reports whether the cursor still follows the top row.
func (t Table) Following() bool { return t.follow }

// Names returns every host's name in inventory order.
func (t Table) Names() []string {
	out := make([]string, len(t.rows))
	for i, h := range t.rows {
		out[i] = h.Name
	}
	return out
}

// Each calls fn for every host, shown or not, in inventory order until it
// returns false.
func (t Table) Each(fn func(*Host) bool) {
	for _, h := range t.rows {
		if !fn(h) {
			return
		}
	}
}

// clamp keeps the cursor on a row and the row inside the viewport, and
// remembers the selected host by name for the next re-sort.
func (t *Table) clamp() {
	t.cursor = min(max(t.cursor, 0), max(len(t.order)-1, 0))
	page := t.pageRows()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if page > 0 && t.cursor >= t.offset+page {
		t.offset = t.cursor - page + 1
	}
	t.offset = min(max(t.offset, 0), max(len(t.order)-page, 0))
	if s := t.Selected(); s != nil {
		t.selected = s.Name
	}
}

// NextAgeChange returns how long until a visible "since" cell changes,
// or 0 when no visible row shows an age.
func (t Table) NextAgeChange(now time.Time) time.Duration {
	var next time.Duration
	end := min(t.offset+t.pageRows(), len(t.order))
	for _, i := range t.order[t.offset:end] {
		h := t.rows[i]
		if !h.Reported {
			continue
		}
		if d := nextChange(now.Sub(h.Changed)); next == 0 || d < next {
			next = d
		}
	}
	return next
}
