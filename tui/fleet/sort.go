package fleet

import (
	"cmp"
	"github.com/hvconsole/hvconsole/probes"
	"strings"
)

// SortMode is the fleet table's order; s cycles through them.
type SortMode int

// Sort modes, in the order s cycles.
const (
	SortWorst   SortMode = iota // worst status first, then name
	SortName                    // name A-Z
	SortLatency                 // slowest first, unreachable last
	SortChange                  // most recent status change first
	SortSite                    // site A-Z, worst first within a site
	sortModes
)

// String names the mode for the table title.
func (s SortMode) String() string {
	switch s {
	case SortName:
		return "name"
	case SortLatency:
		return "latency"
	case SortChange:
		return "last change"
	case SortSite:
		return "site"
	}
	return "worst"
}

// Next returns the following mode, wrapping around.
func (s SortMode) Next() SortMode { return (s + 1) % sortModes }

// rank orders pending hosts between OK and WARN (not known bad, not known
// good), and an acknowledged host just after the unacknowledged ones of
// its status: someone owns it, the others still need an owner.
func rank(h *Host) int {
	switch {
	case h.Pending():
		return 2
	case h.Ack != nil:
		return h.Status().Severity()*4 - 1
	}
	return h.Status().Severity() * 4
}

// compareHosts is the sort's comparison; ties always fall back to the name
// so the order is stable across re-sorts and rows never jitter.
func compareHosts(mode SortMode, a, b *Host) int {
	var c int
	switch mode {
	case SortWorst:
		c = cmp.Compare(rank(b), rank(a))
	case SortLatency:
		c = compareLatency(a, b)
	case SortChange:
		c = b.Changed.Compare(a.Changed)
	case SortSite:
		c = cmp.Or(strings.Compare(a.lowerSite, b.lowerSite), cmp.Compare(rank(b), rank(a)))
	}
	if c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func compareLatency(a, b *Host) int {
	la, lb := a.Latency(), b.Latency()
	switch {
	case la == lb:
		return 0
	case la == 0:
		return 1
	case lb == 0:
		return -1
	}
	return cmp.Compare(lb, la)
}

// affectedBy reports whether a row change can move the row under mode.
func (s SortMode) affectedBy(c change) bool {
	switch s {
	case SortWorst:
		return c.status
	case SortLatency:
		return c.latency
	case SortChange:
		return c.changed
	case SortSite:
		return c.status || c.site
	}
	return false
}

// statusOf maps a status cell index back to its status (4 is pending).
func statusOf(i int) (probes.Status, bool) {
	if i == 4 {
		return probes.UNKNOWN, true
	}
	return probes.Status(i), false
}
