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
	e.begin()
	e.registered(1, true)
	for i := range maxPendingEvents + 5 {
		e.receive(lifecycleMsg{callbackID: 1, domain: string(rune('a' + i%26))})
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

// The subscription keeps only the events of its callback: those that
// arrive while the register call is out wait for its answer; the rest are
// counted as stray.
func TestSessionEventsSubscription(t *testing.T) {
	ev := func(id int32, dom string) lifecycleMsg { return lifecycleMsg{callbackID: id, domain: dom} }
	tests := []struct {
		name      string
		before    []lifecycleMsg // received while the call is out
		id        int32
		ok        bool
		after     []lifecycleMsg
		want      []string
		stray     int
		unclaimed bool // no begin: the session never subscribed
	}{
		{"ours before and after the answer", []lifecycleMsg{ev(3, "a"), ev(4, "x")}, 3, true,
			[]lifecycleMsg{ev(3, "b"), ev(2, "y")}, []string{"a", "b"}, 2, false},
		{"refused: nothing is ours", []lifecycleMsg{ev(0, "a")}, 0, false,
			[]lifecycleMsg{ev(0, "b")}, nil, 2, false},
		{"no subscription", nil, 0, false, []lifecycleMsg{ev(0, "a")}, nil, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e sessionEvents
			if !tt.unclaimed {
				if !e.begin() || e.begin() {
					t.Fatal("begin must succeed once")
				}
				for _, m := range tt.before {
					e.receive(m)
				}
				e.registered(tt.id, tt.ok)
			}
			for _, m := range tt.after {
				e.receive(m)
			}
			evs, dropped := e.take()
			var got []string
			for _, x := range evs {
				got = append(got, x.Domain)
			}
			if !slicesEqual(got, tt.want) || dropped != 0 || e.strays() != tt.stray {
				t.Errorf("events %q (%d dropped), %d stray; want %q, %d stray", got, dropped, e.strays(), tt.want, tt.stray)
			}
		})
	}
	var e sessionEvents
	e.end()
	if e.begin() {
		t.Error("a subscription began after the session ended")
	}
}

// Events held for the register call's answer are bounded like the
// pending ones: the oldest go, counted as dropped.
func TestSessionEventsEarlyBounded(t *testing.T) {
	var e sessionEvents
	e.begin()
	for i := range maxPendingEvents + 3 {
		e.receive(lifecycleMsg{callbackID: 1, domain: string(rune('a' + i%26))})
	}
	e.registered(1, true)
	evs, dropped := e.take()
	if len(evs) != maxPendingEvents || dropped != 3 || evs[0].Domain != "d" {
		t.Errorf("kept %d from %q, dropped %d", len(evs), evs[0].Domain, dropped)
	}
}
