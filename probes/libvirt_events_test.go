package probes

import (
	"testing"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

func TestEventWords(t *testing.T) {
	for _, tc := range []struct {
		ev, detail int32
		want       string
	}{
		{int32(libvirt.DomainEventSuspended), int32(libvirt.DomainEventSuspendedIoerror), "suspended (ioerror)"},
		{int32(libvirt.DomainEventStopped), int32(libvirt.DomainEventStoppedCrashed), "stopped (crashed)"},
		{int32(libvirt.DomainEventResumed), int32(libvirt.DomainEventResumedUnpaused), "resumed (unpaused)"},
		{int32(libvirt.DomainEventCrashed), int32(libvirt.DomainEventCrashedPanicked), "crashed (panicked)"},
		{int32(libvirt.DomainEventStarted), 99, "started (detail-99)"},
		{42, 1, "event-42 (detail-1)"},
		{-1, -1, "event--1 (detail--1)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := eventText(tc.ev, tc.detail); got != tc.want {
				t.Errorf("EventWords(%d, %d) = %q, want %q", tc.ev, tc.detail, got, tc.want)
			}
		})
	}
}

func FuzzEventWords(f *testing.F) {
	f.Add(int32(3), int32(2))
	f.Add(int32(-7), int32(1<<30))
	f.Fuzz(func(t *testing.T, ev, detail int32) {
		w := eventText(ev, detail)
		if w == "" || remote.CleanLine(w) != w {
			t.Errorf("EventWords(%d, %d) = %q", ev, detail, w)
		}
	})
}

func TestEventsDetail(t *testing.T) {
	ev := func(n string) domainEvent { return domainEvent{Domain: n, What: "stopped (crashed)"} }
	for _, tc := range []struct {
		name    string
		evs     []domainEvent
		dropped int
		want    string
	}{
		{"one", []domainEvent{ev("a")}, 0, "events: a stopped (crashed)"},
		{"dropped", []domainEvent{ev("a")}, 3, "events: +3 earlier; a stopped (crashed)"},
		{"more than shown", []domainEvent{ev("a"), ev("b"), ev("c"), ev("d"), ev("e"), ev("f")}, 0,
			"events: +1 earlier; b stopped (crashed); c stopped (crashed); d stopped (crashed); e stopped (crashed); f stopped (crashed)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := eventsDetail(tc.evs, tc.dropped); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// The pending-event buffer keeps the newest events and counts the rest.
func TestSessionEventsBounded(t *testing.T) {
	var e sessionEvents
	for i := range maxPendingEvents + 5 {
		e.record(domainEvent{Domain: string(rune('a' + i%26))})
	}
	select {
	case <-e.signal():
	default:
		t.Fatal("no wake-up after events")
	}
	evs, dropped := e.take()
	if len(evs) != maxPendingEvents || dropped != 5 {
		t.Errorf("kept %d, dropped %d", len(evs), dropped)
	}
	if evs, dropped := e.take(); len(evs) != 0 || dropped != 0 {
		t.Errorf("take did not forget: %d, %d", len(evs), dropped)
	}
}
