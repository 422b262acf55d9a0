package simfleet

import (
	"fmt"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Domain lifecycle events, pushed the way libvirtd pushes them: a client
// registers a callback (ConnectDomainEventCallbackRegisterAny) and gets a
// per-connection callback id; every domain state change of the simulated
// world then sends each matching callback an unsolicited message (type
// MESSAGE, status OK, serial 1 as libvirtd's remoteDispatchObjectEventSend
// sets it) whose body starts with that id, which is how go-libvirt routes
// it to the stream. Events go through the connection's one writer.

// eventSerial is the serial libvirtd puts on every event message.
const eventSerial = 1

// maxCallbacks bounds one connection's event registrations (libvirtd has
// no such limit; a simulated daemon must stay bounded).
const maxCallbacks = 64

// eventQueueLen bounds the event frames waiting for one connection's
// writer: a client that stops reading loses the events past it instead of
// stalling the host that emits them.
const eventQueueLen = 64

// eventCallback is one registration: which event, and for which domain
// (any when all is true).
type eventCallback struct {
	eventID libvirt.DomainEventID
	all     bool
	uuid    [16]byte
}

// registerEvents decodes {int eventID; remote_domain dom} and answers
// {int callbackID}: ids count from 1 on each connection.
func (c *rpcConn) registerEvents(r *xdrReader) ([]byte, *rpcError) {
	id := r.int32()
	cb := eventCallback{eventID: libvirt.DomainEventID(id), all: !r.present()}
	if !cb.all {
		_, uuid := readDomainRef(r)
		copy(cb.uuid[:], uuid)
	}
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	if id < 0 || id > int32(libvirt.DomainEventIDNicMacChange) {
		return nil, &rpcError{code: errInternal, domain: fromRPC, msg: fmt.Sprintf("unsupported event ID %d", id)}
	}
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(c.callbacks) >= maxCallbacks {
		return nil, &rpcError{code: errInternal, domain: fromRPC,
			msg: fmt.Sprintf("too many event callbacks on this connection (%d)", maxCallbacks)}
	}
	if c.callbacks == nil {
		c.callbacks = make(map[int32]eventCallback)
	}
	if h.subs == nil {
		h.subs = make(map[*rpcConn]struct{})
	}
	c.lastCallback++
	c.callbacks[c.lastCallback] = cb
	h.subs[c] = struct{}{}
	var w xdrWriter
	w.int32(c.lastCallback)
	return w.b, nil
}

// deregisterEvents decodes {int callbackID} and removes that callback.
func (c *rpcConn) deregisterEvents(r *xdrReader) ([]byte, *rpcError) {
	id := r.int32()
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := c.callbacks[id]; !ok {
		return nil, &rpcError{code: errInternal, domain: fromRPC, msg: fmt.Sprintf("domain event %d not registered", id)}
	}
	delete(c.callbacks, id)
	if len(c.callbacks) == 0 {
		delete(h.subs, c)
	}
	return nil, nil
}

// dropCallbacks ends every registration of c (ConnectClose, or the
// connection ending): no event is queued for it afterwards.
func (h *Host) dropCallbacks(c *rpcConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(c.callbacks)
	delete(h.subs, c)
}

// EventSubscribers is how many libvirt connections to the host hold event
// callbacks, so a test elsewhere (e.g. of push detection) can wait until a
// client has subscribed before changing a domain, instead of sleeping.
func (h *Host) EventSubscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// lifecycle is one domain lifecycle event: virDomainEventType and its
// detail (whose type depends on the event, as in libvirt).
type lifecycle struct {
	event  libvirt.DomainEventType
	detail int32
}

// emitLocked queues ev about d on every connection with a matching
// lifecycle callback; h.mu must be held. It never blocks: a full queue
// drops the event for that connection.
func (h *Host) emitLocked(d domain, ev lifecycle) {
	for c := range h.subs {
		for id, cb := range c.callbacks {
			if cb.eventID != libvirt.DomainEventIDLifecycle || (!cb.all && cb.uuid != d.uuid) {
				continue
			}
			select {
			case c.events <- lifecycleFrame(id, d, ev):
			default:
			}
		}
	}
}

// lifecycleFrame is remote_domain_event_callback_lifecycle_msg {int
// callbackID; {remote_nonnull_domain dom; int event; int detail}} as a
// whole message.
func lifecycleFrame(callbackID int32, d domain, ev lifecycle) []byte {
	var w xdrWriter
	w.int32(callbackID)
	encodeDomain(&w, d)
	w.int32(int32(ev.event))
	w.int32(ev.detail)
	return appendFrame(nil, rpcHeader{program: remote.RemoteProgram, version: remote.RemoteVersion,
		procedure: remote.ProcDomainEventCallbackLifecycle, typ: remote.MsgMessage, serial: eventSerial, status: remote.StatusOK}, w.b)
}

// The lifecycle events of the simulated world's state changes, as the QEMU
// driver sends them.
var (
	// evCrashed: QEMU died without a SHUTDOWN event (kill -9), which
	// libvirt reports as STOPPED/FAILED with the state shutoff/crashed.
	evCrashed = lifecycle{libvirt.DomainEventStopped, int32(libvirt.DomainEventStoppedFailed)}
	evBooted  = lifecycle{libvirt.DomainEventStarted, int32(libvirt.DomainEventStartedBooted)}
	evPaused  = lifecycle{libvirt.DomainEventSuspended, int32(libvirt.DomainEventSuspendedPaused)}
)
