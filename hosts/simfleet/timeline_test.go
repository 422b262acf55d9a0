package simfleet

import (
	"context"
	"errors"
	"testing"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"
)

func TestDefaultTimeline(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f", "g"}
	tl := DefaultTimeline(7, names)
	if diff := cmp.Diff(tl, DefaultTimeline(7, names)); diff != "" {
		t.Errorf("same seed, different timeline:\n%s", diff)
	}
	if cmp.Equal(tl, DefaultTimeline(8, names)) {
		t.Error("seeds 7 and 8 give the same timeline")
	}
	kinds := map[IncidentKind]bool{}
	hostsUsed := map[string]bool{}
	first := tl.Period
	for _, in := range tl.Incidents {
		kinds[in.Kind], hostsUsed[in.Host] = true, true
		first = min(first, in.At)
		if in.At+in.For >= tl.Period {
			t.Errorf("%v outlasts the period", in)
		}
	}
	if len(kinds) != 5 || len(hostsUsed) != 5 {
		t.Errorf("timeline has %d kinds on %d hosts, want 5 on 5", len(kinds), len(hostsUsed))
	}
	if first > 20*time.Second || tl.Period < 2*time.Minute || tl.Period > 3*time.Minute {
		t.Errorf("first incident at %v, period %v", first, tl.Period)
	}
	if one := DefaultTimeline(1, []string{"only"}); len(one.Incidents) != 5 {
		t.Errorf("one-host timeline has %d incidents", len(one.Incidents))
	}
}

func TestTimelineValidation(t *testing.T) {
	f := startFleet(t, Options{Hosts: 1})
	for _, tl := range []Timeline{
		{Period: 0},
		{Period: time.Second, Incidents: []Incident{{At: 2 * time.Second, Kind: DaemonStop, Host: "demo-01"}}},
		{Period: time.Second, Incidents: []Incident{{Kind: DaemonStop, Host: "nowhere"}}},
		{Period: time.Second, Incidents: []Incident{{Kind: 99, Host: "demo-01"}}},
	} {
		f.opts.Timeline = &tl
		if err := f.RunTimeline(t.Context()); !errors.Is(err, ErrBadTimeline) {
			t.Errorf("RunTimeline(%+v) = %v, want ErrBadTimeline", tl, err)
		}
	}
}

// TestTimelinePlaysAndRestores runs a fast timeline: each incident shows in
// the host state, the loop end restores everything, and events arrive in
// order. OnEvent waits for the test's ack, so the timeline never runs ahead
// of the checks.
func TestTimelinePlaysAndRestores(t *testing.T) {
	events, ack := make(chan Event), make(chan struct{})
	tl := &Timeline{Period: 400 * time.Millisecond, Incidents: []Incident{
		{At: 10 * time.Millisecond, Kind: DaemonStop, Host: "demo-01"},
		{At: 20 * time.Millisecond, Kind: VMCrash, Host: "demo-02"},
		{At: 30 * time.Millisecond, Kind: BackupStale, Host: "demo-03"},
		{At: 40 * time.Millisecond, For: 100 * time.Millisecond, Kind: Unreachable, Host: "demo-01"},
		{At: 50 * time.Millisecond, Kind: KeyChange, Host: "demo-02"},
	}}
	ctx, cancel := context.WithCancel(t.Context())
	onEvent := func(e Event) {
		select {
		case events <- e:
			select {
			case <-ack:
			case <-ctx.Done():
			}
		case <-ctx.Done():
		}
	}
	f := startFleet(t, Options{Hosts: 3, Timeline: tl, OnEvent: onEvent})
	done := make(chan error, 1)
	go func() { done <- f.RunTimeline(ctx) }()

	want := []struct {
		kind IncidentKind
		end  bool
		seen func(State) bool
	}{
		{DaemonStop, false, func(s State) bool { return s.Unit == unitFailed }},
		{VMCrash, false, func(s State) bool { return hasCrashedVM(s) }},
		{BackupStale, false, func(s State) bool { return s.BackupStale }},
		{Unreachable, false, func(s State) bool { return s.Unreachable }},
		{KeyChange, false, func(s State) bool { return s.KeyRotated }},
		{Unreachable, true, func(s State) bool { return !s.Unreachable }},
	}
	for i, w := range want {
		e := nextEvent(t, events)
		if e.Incident.Kind != w.kind || e.End != w.end {
			t.Fatalf("event %d = %v (end %v), want %v (end %v)", i, e.Incident.Kind, e.End, w.kind, w.end)
		}
		if s := f.Host(e.Incident.Host).Snapshot(); !w.seen(s) {
			t.Errorf("after %v the state of %s is %+v", e, e.Incident.Host, s)
		}
		ack <- struct{}{}
	}
	for i := range 4 { // the loop end undoes the other four
		if e := nextEvent(t, events); !e.End {
			t.Errorf("loop end: %v is a start", e)
		}
		if i < 3 {
			ack <- struct{}{}
		}
	}
	for _, h := range f.Hosts() {
		if s := h.Snapshot(); s.Unit != unitActive || s.BackupStale || s.Unreachable || s.KeyRotated || hasCrashedVM(s) {
			t.Errorf("%s not restored at loop end: %+v", h.Name(), s)
		}
	}
	ack <- struct{}{}
	if e := nextEvent(t, events); e.Incident.Kind != DaemonStop || e.End {
		t.Errorf("second loop starts with %v", e)
	}
	cancel() // releases the unacked event too
	if err := <-done; err != nil {
		t.Errorf("RunTimeline = %v", err)
	}
}

func nextEvent(t *testing.T, events <-chan Event) Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no timeline event")
		return Event{}
	}
}

func hasCrashedVM(s State) bool {
	for _, vm := range s.VMs {
		if vm.State == libvirt.DomainShutoff && vm.Reason == int32(libvirt.DomainShutoffCrashed) {
			return true
		}
	}
	return false
}

func TestQuietTimelineWaits(t *testing.T) {
	f := startFleet(t, Options{Hosts: 2, Quiet: true, OnEvent: func(e Event) { t.Errorf("quiet fleet had %v", e) }})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := f.RunTimeline(ctx); err != nil {
		t.Errorf("RunTimeline = %v", err)
	}
}

func TestTimelineStopsWithFleet(t *testing.T) {
	f, err := Start(t.Context(), Options{Hosts: 2, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.RunTimeline(t.Context()) }()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunTimeline = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunTimeline outlived Close")
	}
}
