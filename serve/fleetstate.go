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

// fleetState is the latest report of every inventory host and its recent
// events. serve's main loop writes it; scrapes and attached consoles read
// it concurrently, so it is guarded by an RWMutex and hands out copies.
type fleetState struct {
	mu      sync.RWMutex
	hosts   []hosts.Host // inventory order
	reports map[string]probes.HostReport
	events  map[string][]Event
	ready   bool
}

func newFleetState(hs []hosts.Host) *fleetState {
	return &fleetState{hosts: slices.Clone(hs), reports: map[string]probes.HostReport{}, events: map[string][]Event{}}
}

// put stores rep and returns the events it makes (a check whose status
// differs from the previous report, or any non-OK check of a first
// report). ok is false for a host not in the inventory (a late report of a
// removed host).
func (f *fleetState) put(rep probes.HostReport) (evs []Event, becameReady, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.ContainsFunc(f.hosts, func(h hosts.Host) bool { return h.Name == rep.Host }) {
		return nil, false, false
	}
	prev, seen := f.reports[rep.Host]
	f.reports[rep.Host] = rep
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

// setHosts replaces the inventory (a reload) and drops removed hosts.
func (f *fleetState) setHosts(hs []hosts.Host) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts = slices.Clone(hs)
	for name := range f.reports {
		if !slices.ContainsFunc(hs, func(h hosts.Host) bool { return h.Name == name }) {
			delete(f.reports, name)
			delete(f.events, name)
		}
	}
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
	return slices.Clone(f.hosts), reps, evs
}
