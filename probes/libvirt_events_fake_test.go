package probes

import (
	"time"

	"github.com/digitalocean/go-libvirt"
)

// fakeNet is one virtual network of a fake libvirt world.
type fakeNet struct {
	name              string
	active, autostart bool
}

// fakeSub is one session's lifecycle-event subscription: emit hands its
// events to the session as the session's pump does, with the callback ID
// the register call answered, until the session is killed.
type fakeSub struct {
	ev   *sessionEvents
	id   int32
	dead <-chan struct{}
}

func (a fakeSession) ConnectListAllNetworks(need int32, flags libvirt.ConnectListAllNetworksFlags) ([]libvirt.Network, uint32, error) {
	if err := a.enter(); err != nil {
		return nil, 0, err
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if a.f.netErr != nil {
		return nil, 0, a.f.netErr
	}
	var out []libvirt.Network
	for _, n := range a.f.nets {
		if (flags&libvirt.ConnectListNetworksActive == 0 || n.active) &&
			(flags&libvirt.ConnectListNetworksAutostart == 0 || n.autostart) {
			out = append(out, libvirt.Network{Name: n.name})
		}
	}
	return out, uint32(len(out)), nil
}

// ConnectDomainEventCallbackRegisterAny registers the session; callback
// IDs count from 1 per fake daemon, as libvirtd's do.
func (a fakeSession) ConnectDomainEventCallbackRegisterAny(eventID int32, dom libvirt.OptDomain) (int32, error) {
	if err := a.enter(); err != nil {
		return 0, err
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if err := a.f.eventsErr; err != nil {
		return 0, err
	}
	if eventID != int32(libvirt.DomainEventIDLifecycle) || len(dom) != 0 {
		return 0, libvirt.Error{Code: uint32(libvirt.ErrInvalidArg), Message: "fake: lifecycle events of every domain only"}
	}
	id := int32(len(a.f.subs) + 1)
	a.f.subs = append(a.f.subs, fakeSub{ev: a.ev, id: id, dead: a.dead})
	return id, nil
}

// emit sends a lifecycle event to every live subscription and reports how
// many got it.
func (f *fakeLibvirt) emit(dom string, event, detail int32) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.subs {
		if isClosed(s.dead) {
			continue
		}
		s.ev.receive(lifecycleMsg{callbackID: s.id, domain: dom, typ: event, detail: detail, at: time.Now()})
		n++
	}
	return n
}
