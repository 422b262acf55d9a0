package probes

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts/remote"
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

// sessionEvents is a session's lifecycle-event subscription. go-libvirt's
// event goroutine blocks on its channel send without watching its context,
// so one goroutine owned by the session always drains that channel until
// go-libvirt closes it; it keeps the newest events and wakes the prober.
//
// The subscription is never ended by cancelling its context while the
// connection lives: that makes go-libvirt send a deregister call with no
// deadline, which hangs on a frozen daemon. It ends when the stream is
// killed (go-libvirt then drops every stream and its goroutine exits; its
// deregister call fails at once on the dead socket); the context is
// cancelled only after that, as a backstop.
type sessionEvents struct {
	mu      sync.Mutex
	asked   bool // a subscription was attempted
	ended   bool // the session is shutting down
	notify  chan struct{}
	pending []domainEvent
	dropped int
	cancel  context.CancelFunc
}

// begin claims the one subscription attempt of a session.
func (e *sessionEvents) begin() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.asked || e.ended {
		return false
	}
	e.asked = true
	return true
}

// setCancel keeps the subscription's cancel; after end it cancels at once.
func (e *sessionEvents) setCancel(c context.CancelFunc) {
	e.mu.Lock()
	ended := e.ended
	e.cancel = c
	e.mu.Unlock()
	if ended {
		c()
	}
}

// end is called once the stream is killed: no subscription starts after it.
func (e *sessionEvents) end() {
	e.mu.Lock()
	e.ended = true
	c := e.cancel
	e.mu.Unlock()
	if c != nil {
		c()
	}
}

// signal is ready (buffered, one slot) while events are pending.
func (e *sessionEvents) signal() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.notify == nil {
		e.notify = make(chan struct{}, 1)
	}
	return e.notify
}

func (e *sessionEvents) record(ev domainEvent) {
	e.mu.Lock()
	if len(e.pending) >= maxPendingEvents {
		e.pending = e.pending[1:]
		e.dropped++
	}
	e.pending = append(e.pending, ev)
	if e.notify == nil {
		e.notify = make(chan struct{}, 1)
	}
	n := e.notify
	e.mu.Unlock()
	select {
	case n <- struct{}{}:
	default:
	}
}

// take returns and forgets the pending events and how many were dropped.
func (e *sessionEvents) take() ([]domainEvent, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	evs, dropped := e.pending, e.dropped
	e.pending, e.dropped = nil, 0
	return evs, dropped
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
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.ev.setCancel(cancel)
	_, err := call(ctx, s, "subscribe to lifecycle events", func(api libvirtAPI) (struct{}, error) {
		ch, err := api.LifecycleEvents(life)
		if err == nil {
			// Started here, inside a call the session tracks, so that a
			// caller that gave up on the deadline still leaves the
			// channel drained.
			s.consume(ch)
		}
		return struct{}{}, err
	})
	if err == nil {
		return nil
	}
	cancel()
	if refused(err) {
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

// consume drains ch in a goroutine the session owns (shutdown waits for
// it). It must be called from a goroutine the session already tracks.
func (s *lvSession) consume(ch <-chan libvirt.DomainEventLifecycleMsg) {
	s.calls.Add(1)
	go func() {
		defer s.calls.Done()
		for m := range ch {
			s.ev.record(domainEvent{Domain: remote.CleanLine(m.Dom.Name), What: eventText(m.Event, m.Detail),
				At: time.Now()})
		}
	}()
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
