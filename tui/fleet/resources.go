package fleet

import (
	"math"
	"strconv"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// The MEM/DISK column: memory used % / fullest image filesystem %, e.g.
// "62%/41%". It needs memDiskW cells plus a separator and is shown only
// when the table is at least memDiskFrom cells wide: from there the cause
// column keeps at least the 27 cells it has at 80 columns (a wider
// terminal never shows less of the cause). It takes its cells from the
// check column, never from the status or name columns.
const (
	memDiskW    = 10 // "100%/100%!"
	memDiskFrom = 98
)

// MemUsedPercent returns the share of host memory in use (total minus
// available), rounded up like df's Capacity so a figure past a threshold
// never prints at or under it; false when memory was not read.
func MemUsedPercent(r *probes.Resources) (int, bool) {
	if r == nil || r.MemTotal == 0 {
		return 0, false
	}
	free := min(r.MemFree, r.MemTotal)
	return ceilPercent(float64(r.MemTotal-free) * 100 / float64(r.MemTotal)), true
}

// DiskPercent returns a filesystem's use as a whole percentage in 0..100
// (rounded up like df; garbage such as NaN reads as 0).
func DiskPercent(d remote.DiskUse) int { return ceilPercent(d.UsedPct) }

// WorstDiskPercent returns the use of the fullest image filesystem; false
// when no disk was read.
func WorstDiskPercent(r *probes.Resources) (int, bool) {
	if r == nil || len(r.Disks) == 0 {
		return 0, false
	}
	worst := 0
	for _, d := range r.Disks {
		worst = max(worst, DiskPercent(d))
	}
	return worst, true
}

// ceilPercent rounds a percentage up (ignoring float noise) and clamps it
// to 0..100.
func ceilPercent(p float64) int {
	if !(p > 0) { // also NaN
		return 0
	}
	return int(min(math.Ceil(p-1e-9), 100))
}

// memDiskKey is what the MEM/DISK cell shows; the cell is re-rendered only
// when it changes, so a round of unchanged figures allocates nothing.
type memDiskKey struct {
	mem, disk int // -1: unknown
	st        probes.Status
	checked   bool // the resources check ran
}

func newMemDiskKey(r probes.HostReport) memDiskKey {
	k := memDiskKey{mem: -1, disk: -1}
	if p, ok := MemUsedPercent(r.Resources); ok {
		k.mem = p
	}
	if p, ok := WorstDiskPercent(r.Resources); ok {
		k.disk = p
	}
	if c, ok := r.Check(hosts.CheckResources); ok {
		k.st, k.checked = c.Status, true
	}
	return k
}

// text is the cell's content: "62%/41%", a "-" for an unknown half, a
// lone "-" when nothing is known. A resources check that is not OK adds
// "!" (WARN, CRIT) or "?" (UNKNOWN) so its colour is never the only sign.
func (k memDiskKey) text() string {
	if k.mem < 0 && k.disk < 0 {
		return "-"
	}
	s := pctOrDash(k.mem) + "/" + pctOrDash(k.disk)
	if k.checked {
		switch k.st {
		case probes.WARN, probes.CRIT:
			s += "!"
		case probes.UNKNOWN:
			s += "?"
		}
	}
	return s
}

func pctOrDash(p int) string {
	if p < 0 {
		return "-"
	}
	return strconv.Itoa(p) + "%"
}

// setMemDisk caches the plain and styled MEM/DISK cells, right-aligned to
// the column, when the figures or the check's status changed.
func (h *Host) setMemDisk(k memDiskKey, th theme.Theme) {
	if k == h.memDiskKey && h.memDisk != "" {
		return
	}
	h.memDiskKey = k
	text := k.text()
	pad := cell.Spaces(memDiskW - cell.Width(text))
	h.memDisk = pad + text
	h.memDiskStyled = h.memDisk
	if k.checked && k.st != probes.OK && text != "-" {
		h.memDiskStyled = pad + th.Status(k.st, false).Render(text)
	}
}

// MemDisk returns the MEM/DISK column's text without padding ("62%/41%",
// "-"), as the table shows it.
func (h *Host) MemDisk() string { return strings.TrimLeft(h.memDisk, " ") }
