package probes

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
)

// maxPendingEvents bounds the lifecycle events a session keeps until the
// prober takes them; older ones are dropped (the vms check re-reads every
// domain anyway, the events only say why it ran).
const maxPendingEvents = 32

// domainEvent is one lifecycle event as words, e.g. web-1 "suspended (ioerror)".
type domainEvent struct {
	Domain string
	What   string
	At     time.Time
}

func (e domainEvent) String() string { return e.Domain + " " + e.What }

// sessionEvents is a session's lifecycle-event subscription. The events
// take no goroutine of their own: the session's pump decodes each event
// packet (libvirt_events_wire.go) and hands it to receive, which keeps the
// newest events and wakes the prober.
//
// The subscription is one plain call (ConnectDomainEventCallbackRegisterAny)
// and is never deregistered: a deregister call on a frozen daemon would
// hang, and the daemon forgets the callback with the connection, which the
// session ends by killing its stream.
//
// Only events carrying the callback ID the daemon gave us are ours. The
// daemon may send one before its reply to the register call has been read
// (libvirtd queues events and replies on the same stream), so from the
// moment the call is about to be sent until its answer is known, events
// wait in early; the answer keeps those carrying our ID and counts the
// rest as stray, as it does every event outside a subscription.
type sessionEvents struct {
	mu      sync.Mutex
	sub     subState
	ended   bool  // the session is shutting down
	id      int32 // the daemon's callback ID, once sub is subscribed
	notify  chan struct{}
	early   []lifecycleMsg // received while sub is registering
	pending []domainEvent
	dropped int
	// stray counts events that were not ours: outside a subscription, or
	// carrying another callback ID.
	stray int
}

// subState is where a session's one subscription attempt stands.
type subState uint8

const (
	subNone        subState = iota // not attempted yet
	subRegistering                 // the register call is out
	subscribed                     // the daemon answered with our ID
	subRefused                     // the call failed: the rounds poll
)

// begin claims the one subscription attempt of a session; events are
// accepted (held in early) from now on.
func (e *sessionEvents) begin() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sub != subNone || e.ended {
		return false
	}
	e.sub = subRegistering
	return true
}

// end is called once the stream is killed: no subscription starts after it.
func (e *sessionEvents) end() {
	e.mu.Lock()
	e.ended = true
	e.mu.Unlock()
}

// registered settles the subscription with the register call's answer: ok
// with the daemon's callback ID, or not ok when the call failed. Events
// that waited for it are kept when they carry id, in order, before any
// event the pump hands over after it.
func (e *sessionEvents) registered(id int32, ok bool) {
	e.mu.Lock()
	early := e.early
	e.early, e.sub, e.id = nil, subscribed, id
	if !ok {
		e.sub = subRefused
	}
	kept := false
	for _, m := range early {
		kept = e.keep(m) || kept
	}
	e.mu.Unlock()
	if kept {
		e.wake()
	}
}

// receive takes one decoded lifecycle event from the pump.
func (e *sessionEvents) receive(m lifecycleMsg) {
	e.mu.Lock()
	if e.sub == subRegistering {
		if len(e.early) >= maxPendingEvents {
			e.early = e.early[1:]
			e.dropped++
		}
		e.early = append(e.early, m)
		e.mu.Unlock()
		return
	}
	kept := e.keep(m)
	e.mu.Unlock()
	if kept {
		e.wake()
	}
}

// keep adds m to the pending events when it is ours, keeping the newest
// maxPendingEvents, and counts it as stray when it is not; e.mu is held.
func (e *sessionEvents) keep(m lifecycleMsg) bool {
	if e.sub != subscribed || m.callbackID != e.id {
		e.stray++
		return false
	}
	if len(e.pending) >= maxPendingEvents {
		e.pending = e.pending[1:]
		e.dropped++
	}
	e.pending = append(e.pending, m.domainEvent())
	return true
}

// signal is ready (buffered, one slot) while events are pending.
func (e *sessionEvents) signal() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.notifyCh()
}

// wake makes signal ready.
func (e *sessionEvents) wake() {
	e.mu.Lock()
	n := e.notifyCh()
	e.mu.Unlock()
	select {
	case n <- struct{}{}:
	default:
	}
}

// notifyCh is the channel of signal, made on first use; e.mu is held.
func (e *sessionEvents) notifyCh() chan struct{} {
	if e.notify == nil {
		e.notify = make(chan struct{}, 1)
	}
	return e.notify
}

// take returns and forgets the pending events and how many were dropped.
func (e *sessionEvents) take() ([]domainEvent, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	evs, dropped := e.pending, e.dropped
	e.pending, e.dropped = nil, 0
	return evs, dropped
}

// strays is how many events were not ours (see sessionEvents.stray).
func (e *sessionEvents) strays() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stray
}

// subscribe registers the session for lifecycle events under ctx's
// deadline. A daemon that refuses (libvirt error, or go-libvirt's
// ErrUnsupported from a peer that does not know the procedure) leaves the
// session without events: rounds still poll.
// Only a broken or silent connection is returned as an error.
func (s *lvSession) subscribe(ctx context.Context) error {
	if !s.ev.begin() {
		return nil
	}
	_, err := call(ctx, s, "subscribe to lifecycle events", func(api libvirtAPI) (int32, error) {
		id, err := api.ConnectDomainEventCallbackRegisterAny(int32(libvirt.DomainEventIDLifecycle), nil)
		// Settled here, in the call's own goroutine, so that the events
		// that waited are kept even when the caller gave up.
		s.ev.registered(id, err == nil)
		return id, err
	})
	if err == nil || refused(err) {
		return nil
	}
	return err
}

// refused reports whether err is the daemon's own "no" to a procedure, as
// opposed to a connection that broke or did not answer.
func refused(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) || errors.Is(err, libvirt.ErrUnsupported)
}

// eventWords names virDomainEventType values and, per type, their
// details (libvirt-domain.h order).
var eventWords = []struct {
	word    string
	details []string
}{
	{"defined", []string{"added", "updated", "renamed", "fromsnapshot"}},
	{"undefined", []string{"removed", "renamed"}},
	{"started", []string{"booted", "migrated", "restored", "fromsnapshot", "wakeup", "recreated"}},
	{"suspended", []string{"paused", "migrated", "ioerror", "watchdog", "restored", "fromsnapshot",
		"api-error", "postcopy", "postcopy-failed"}},
	{"resumed", []string{"unpaused", "migrated", "fromsnapshot", "postcopy", "postcopy-failed"}},
	{"stopped", []string{"shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "fromsnapshot", "recreated"}},
	{"shutdown", []string{"finished", "guest", "host"}},
	{"pmsuspended", []string{"memory", "disk"}},
	{"crashed", []string{"panicked", "crashloaded"}},
}

// eventText turns a lifecycle event into words, e.g. "suspended
// (ioerror)"; values libvirt does not define print as numbers, so a newer
// daemon's events are still shown.
func eventText(event, detail int32) string {
	if event < 0 || int(event) >= len(eventWords) {
		return "event-" + strconv.Itoa(int(event)) + " (detail-" + strconv.Itoa(int(detail)) + ")"
	}
	w := eventWords[event]
	if detail < 0 || int(detail) >= len(w.details) {
		return w.word + " (detail-" + strconv.Itoa(int(detail)) + ")"
	}
	return w.word + " (" + w.details[detail] + ")"
}
