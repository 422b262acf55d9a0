package serve

import (
	"slices"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// maxEvents is how many recent events the snapshot keeps per host.
const maxEvents = 20

// Event is one status change of one check, as logged and as attached
// consoles get it in a snapshot.
type Event struct {
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`
	Check   string    `json:"check"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Summary string    `json:"summary"`
}

// fleetState is the latest report of every inventory host, its series
// and its recent events. serve's main loop writes it; scrapes and attached
// consoles read it concurrently, so it is guarded by an RWMutex and hands
// out copies (or series, which are never changed).
type fleetState struct {
	mu      sync.RWMutex
	hosts   []hosts.Host   // inventory order: the config's, which nothing changes once loaded
	index   map[string]int // host name -> position in hosts
	series  []*hostSeries  // by position in hosts; nil before a report
	reports map[string]probes.HostReport
	events  map[string][]Event
	ready   bool
	build   *seriesBuilder
}

func newFleetState(hs []hosts.Host, build *seriesBuilder) *fleetState {
	f := &fleetState{reports: map[string]probes.HostReport{}, events: map[string][]Event{}, build: build}
	f.setHosts(hs)
	return f
}

// put stores rep and returns the events it makes (a check whose status
// differs from the previous report, or any non-OK check of a first
// report). ok is false for a host not in the inventory (a late report of a
// removed host).
func (f *fleetState) put(rep probes.HostReport) (evs []Event, becameReady, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.index[rep.Host]
	if !ok {
		return nil, false, false
	}
	prev, seen := f.reports[rep.Host]
	f.reports[rep.Host] = rep
	f.series[i] = f.build.build(f.hosts[i], rep)
	for _, c := range rep.Checks {
		old, had := prev.Check(c.Check)
		if (had && old.Status == c.Status) || (!seen && c.Status == probes.OK) {
			continue
		}
		from := "NONE"
		if had {
			from = old.Status.String()
		}
		evs = append(evs, Event{Time: c.Time, Host: rep.Host, Check: c.Check, From: from, To: c.Status.String(),
			Summary: c.Summary})
	}
	if len(evs) > 0 {
		list := append(f.events[rep.Host], evs...)
		f.events[rep.Host] = list[max(0, len(list)-maxEvents):]
	}
	if !f.ready && len(f.reports) >= len(f.hosts) {
		f.ready, becameReady = true, true
	}
	return evs, becameReady, true
}

// setHosts replaces the inventory (a reload) and drops removed hosts. The
// kept hosts' series are built again: their checks may have changed.
func (f *fleetState) setHosts(hs []hosts.Host) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts = hs // not a copy: ~800 bytes a host, and a reload brings a new slice
	f.index = make(map[string]int, len(hs))
	f.series = make([]*hostSeries, len(hs))
	for i, h := range hs {
		f.index[h.Name] = i
		f.series[i] = f.build.build(h, f.reports[h.Name])
	}
	for name := range f.reports {
		if _, ok := f.index[name]; !ok {
			delete(f.reports, name)
			delete(f.events, name)
		}
	}
}

// allSeries returns the series of every reported host, in inventory order.
func (f *fleetState) allSeries() []*hostSeries {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]*hostSeries, 0, len(f.series))
	for _, s := range f.series {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// isReady reports whether every host has reported once since start.
func (f *fleetState) isReady() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.ready
}

// snapshot returns the inventory, each host's latest report (zero when it
// has not reported yet) and its recent events, in inventory order.
func (f *fleetState) snapshot() ([]hosts.Host, []probes.HostReport, [][]Event) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	reps := make([]probes.HostReport, len(f.hosts))
	evs := make([][]Event, len(f.hosts))
	for i, h := range f.hosts {
		reps[i] = f.reports[h.Name]
		evs[i] = slices.Clone(f.events[h.Name])
	}
	return f.hosts, reps, evs
}
