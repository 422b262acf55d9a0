package simfleet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
)

// ErrBadTimeline is returned by RunTimeline for a timeline it cannot play.
var ErrBadTimeline = errors.New("simfleet: bad timeline")

// IncidentKind is what goes wrong in an incident.
type IncidentKind int

// The scripted incidents.
const (
	// DaemonStop kills the hypervisor daemon; it stays down until an
	// operator restarts it (RestartCommand) or the incident ends.
	DaemonStop IncidentKind = iota + 1
	// VMCrash kills a VM's QEMU: shut off, reason crashed.
	VMCrash
	// BackupStale removes last night's backups: the newest is over 26 h old.
	BackupStale
	// Unreachable resets every connection to the host.
	Unreachable
	// KeyChange makes the host present a new host key.
	KeyChange
)

// String names the kind for logs and events.
func (k IncidentKind) String() string {
	switch k {
	case DaemonStop:
		return "daemon-stop"
	case VMCrash:
		return "vm-crash"
	case BackupStale:
		return "backup-stale"
	case Unreachable:
		return "unreachable"
	case KeyChange:
		return "key-change"
	}
	return fmt.Sprintf("IncidentKind(%d)", int(k))
}

// Incident is one scripted fault on one host.
type Incident struct {
	// At is when it starts, from the start of each loop.
	At time.Duration
	// For is how long it lasts; 0 means until the loop ends.
	For  time.Duration
	Kind IncidentKind
	Host string
	// VM names the VM of a VMCrash ("": the first running VM).
	VM string
}

// Timeline is a loop of incidents: each Period, every incident still in
// force is undone and the incidents play again.
type Timeline struct {
	Period    time.Duration
	Incidents []Incident
}

// Event reports an incident starting (End false) or being undone.
type Event struct {
	Time     time.Time
	Incident Incident
	End      bool
}

// String describes the event in one line, e.g. for `demo --serve`.
func (e Event) String() string {
	verb := "starts"
	if e.End {
		verb = "ends"
	}
	s := fmt.Sprintf("%s %s on %s", e.Incident.Kind, verb, e.Incident.Host)
	if e.Incident.VM != "" {
		s += " (VM " + e.Incident.VM + ")"
	}
	return s
}

// DefaultPeriod is the default timeline's loop length.
const DefaultPeriod = 150 * time.Second

// DefaultTimeline is the demo's loop for the given hosts: a daemon stop
// within 20 s, then a VM crash, a stale backup, an unreachable spell and a
// host key change, on different hosts (as far as there are enough) chosen
// by seed.
func DefaultTimeline(seed int64, hosts []string) Timeline {
	tl := Timeline{Period: DefaultPeriod}
	if len(hosts) == 0 {
		return tl
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x51f1ee7))
	order := rng.Perm(len(hosts))
	jitter := func(base, spread int) time.Duration {
		return time.Duration(base+rng.IntN(spread)) * time.Second
	}
	plan := []struct {
		kind         IncidentKind
		base, spread int
		lasts        time.Duration
	}{
		{DaemonStop, 8, 10, 0},
		{VMCrash, 35, 10, 0},
		{BackupStale, 55, 10, 0},
		{Unreachable, 75, 10, 25 * time.Second},
		{KeyChange, 105, 10, 30 * time.Second},
	}
	for i, p := range plan {
		tl.Incidents = append(tl.Incidents, Incident{
			At: jitter(p.base, p.spread), For: p.lasts, Kind: p.kind, Host: hosts[order[i%len(order)]],
		})
	}
	return tl
}

// timeline returns the timeline to play.
func (f *Fleet) timeline() Timeline {
	if f.opts.Timeline != nil {
		return *f.opts.Timeline
	}
	names := make([]string, len(f.hosts))
	for i, h := range f.hosts {
		names[i] = h.name
	}
	return DefaultTimeline(f.opts.Seed, names)
}

// validate checks that every incident fits the period and names a host.
func (f *Fleet) validate(tl Timeline) error {
	if tl.Period <= 0 {
		return fmt.Errorf("%w: period %v", ErrBadTimeline, tl.Period)
	}
	for i, in := range tl.Incidents {
		switch {
		case in.At < 0 || in.At >= tl.Period || in.For < 0:
			return fmt.Errorf("%w: incident %d outside the period", ErrBadTimeline, i)
		case f.Host(in.Host) == nil:
			return fmt.Errorf("%w: incident %d: no host %q", ErrBadTimeline, i, in.Host)
		case in.Kind < DaemonStop || in.Kind > KeyChange:
			return fmt.Errorf("%w: incident %d: %v", ErrBadTimeline, i, in.Kind)
		}
	}
	return nil
}

// RunTimeline plays the timeline until ctx ends or the fleet closes, then
// undoes the incidents in force and returns nil. With Options.Quiet it only
// waits. The caller owns the goroutine running it and should wait for it
// to return after cancelling ctx or calling Close.
func (f *Fleet) RunTimeline(ctx context.Context) error {
	if f.opts.Quiet {
		select {
		case <-ctx.Done():
		case <-f.ctx.Done():
		}
		return nil
	}
	tl := f.timeline()
	if err := f.validate(tl); err != nil {
		return err
	}
	for f.playLoop(ctx, tl) {
	}
	return nil
}

// step is one timed action of a loop: an incident starting or ending.
type step struct {
	at    time.Duration
	index int
	end   bool
}

// playLoop plays one period; it reports false when it was cut short.
func (f *Fleet) playLoop(ctx context.Context, tl Timeline) bool {
	var steps []step
	for i, in := range tl.Incidents {
		steps = append(steps, step{at: in.At, index: i})
		if in.For > 0 && in.At+in.For < tl.Period {
			steps = append(steps, step{at: in.At + in.For, index: i, end: true})
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.at, b.at) })
	start := time.Now()
	active := make([]*Incident, len(tl.Incidents)) // the incident as applied
	defer f.undoAll(active)
	for _, s := range steps {
		if !f.waitUntil(ctx, start.Add(s.at)) {
			return false
		}
		if s.end {
			f.undo(active[s.index])
			active[s.index] = nil
			continue
		}
		in := tl.Incidents[s.index]
		if f.apply(&in) {
			active[s.index] = &in
		}
	}
	return f.waitUntil(ctx, start.Add(tl.Period))
}

// waitUntil sleeps until t; false when ctx or the fleet ends first.
func (f *Fleet) waitUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	case <-f.ctx.Done():
		return false
	}
}

// apply starts an incident; it fills in the VM it chose and reports false
// when there was nothing to do (no running VM to crash).
func (f *Fleet) apply(in *Incident) bool {
	h := f.Host(in.Host)
	switch in.Kind {
	case DaemonStop:
		h.crashDaemon()
	case VMCrash:
		if in.VM == "" {
			in.VM = h.firstRunningVM()
		}
		if in.VM == "" || h.CrashVM(in.VM) != nil {
			return false
		}
	case BackupStale:
		h.SetBackupStale(true)
	case Unreachable:
		h.SetUnreachable(true)
	case KeyChange:
		if h.RotateHostKey() != nil {
			return false
		}
	}
	f.notify(*in, false)
	return true
}

// undo ends an incident (nil: nothing to undo).
func (f *Fleet) undo(in *Incident) {
	if in == nil {
		return
	}
	h := f.Host(in.Host)
	switch in.Kind {
	case DaemonStop:
		h.StartDaemon()
	case VMCrash:
		h.restoreVM(in.VM)
	case BackupStale:
		h.SetBackupStale(false)
	case Unreachable:
		h.SetUnreachable(false)
	case KeyChange:
		h.RestoreHostKey()
	}
	f.notify(*in, true)
}

func (f *Fleet) undoAll(active []*Incident) {
	for _, in := range active {
		f.undo(in)
	}
}

func (f *Fleet) notify(in Incident, end bool) {
	if f.opts.OnEvent != nil {
		f.opts.OnEvent(Event{Time: time.Now(), Incident: in, End: end})
	}
}

// firstRunningVM names the host's first running VM ("" if none).
func (h *Host) firstRunningVM() string {
	if h.hv != nil {
		return h.hvFirstRunningVM()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.w.domains {
		if d.state == libvirt.DomainRunning {
			return d.name
		}
	}
	return ""
}

// restoreVM puts a VM back in its initial state (a crashed VM boots again).
func (h *Host) restoreVM(name string) {
	if h.hv != nil {
		h.hvRestoreVM(name)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.w.domainByName(name)
	if !ok || (d.state == d.baseState && d.reason == d.baseReason) {
		return
	}
	wasActive := d.id >= 0
	d.state, d.reason, d.id = d.baseState, d.baseReason, -1
	if d.state != libvirt.DomainShutoff {
		d.id = h.w.nextDomainID()
	}
	h.emitRestoreLocked(*d, wasActive)
}

// emitRestoreLocked sends the events of a domain returning to its base
// state: a domain that boots again is STARTED, then SUSPENDED if its base
// state is paused (the demo restores, it never pauses a running VM); h.mu
// must be held.
func (h *Host) emitRestoreLocked(d domain, wasActive bool) {
	if wasActive || d.id < 0 {
		return
	}
	h.emitLocked(d, evBooted)
	if d.state == libvirt.DomainPaused {
		h.emitLocked(d, evPaused)
	}
}
