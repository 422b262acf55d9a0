package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
)

// awaited is a request the operator made whose answer arrives later as
// reports: a probe now (r, R) or a backups check now (b). The note that
// said "probing demo-05 now" turns into the result when the hosts answer.
type awaited struct {
	backups bool // the backups check; else a whole probe
	since   time.Time
	names   []string
	left    map[string]struct{}
	counts  [4]int // statuses of the answers, by probes.Status
	last    string // the one host's result text when there is one host
}

// await starts waiting for names' next answer after now.
func (m *Model) await(backups bool, names []string) {
	a := &awaited{backups: backups, since: m.now(), names: names, left: make(map[string]struct{}, len(names))}
	for _, n := range names {
		a.left[n] = struct{}{}
	}
	m.awaiting = a
}

// answer folds a report into the pending request and, once every host has
// answered, turns the progress note into the result.
func (m *Model) answer(r probes.HostReport) {
	a := m.awaiting
	if a == nil {
		return
	}
	if _, ok := a.left[r.Host]; !ok {
		return
	}
	st, text, ok := a.result(r, m.th.StatusLabel)
	if !ok {
		return
	}
	delete(a.left, r.Host)
	a.counts[statusSlot(st)]++
	a.last = text
	if len(a.left) > 0 {
		return
	}
	m.awaiting = nil
	m.note = a.done()
}

// result is the answer a report gives to the request, if it is one: a
// report made after the request, or for backups a backups check run after
// it.
func (a *awaited) result(r probes.HostReport, label func(probes.Status, bool) string) (probes.Status, string, bool) {
	if !a.backups {
		if r.Time.Before(a.since) {
			return 0, "", false
		}
		text := label(r.Status, false)
		if w, ok := r.Worst(); ok && w.Status != probes.OK {
			text += " " + cell.Clean(w.Check) + ": " + cell.Clean(probes.ShortCause(w))
		}
		return r.Status, text, true
	}
	c, ok := r.Check(hosts.CheckBackups)
	if !ok || c.Time.Before(a.since) {
		return 0, "", false
	}
	return c.Status, label(c.Status, false) + " " + cell.Clean(probes.ShortCause(c)), true
}

// done is the result note: one host's verdict, or the count of each status.
func (a *awaited) done() string {
	what := "probe"
	if a.backups {
		what = "backups"
	}
	if len(a.names) == 1 {
		return what + " of " + a.names[0] + ": " + a.last
	}
	var parts []string
	for _, s := range []probes.Status{probes.CRIT, probes.UNKNOWN, probes.WARN, probes.OK} {
		if n := a.counts[statusSlot(s)]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+s.String())
		}
	}
	return what + " of " + strconv.Itoa(len(a.names)) + " hosts done: " + strings.Join(parts, ", ")
}

func statusSlot(s probes.Status) int {
	if s < probes.OK || s > probes.UNKNOWN {
		return int(probes.UNKNOWN)
	}
	return int(s)
}
