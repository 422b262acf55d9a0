package probes

import (
	"context"

	"github.com/digitalocean/go-libvirt"
)

// fakeNet is one virtual network of a fake libvirt world.
type fakeNet struct {
	name              string
	active, autostart bool
}

// fakeSub is one session's lifecycle-event subscription: emit queues to in,
// and a goroutine of the subscription forwards to go-libvirt's channel
// until the session is killed, as go-libvirt does when its stream dies.
type fakeSub struct {
	in   chan libvirt.DomainEventLifecycleMsg
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

func (a fakeSession) LifecycleEvents(ctx context.Context) (<-chan libvirt.DomainEventLifecycleMsg, error) {
	if err := a.enter(); err != nil {
		return nil, err
	}
	a.f.mu.Lock()
	if err := a.f.eventsErr; err != nil {
		a.f.mu.Unlock()
		return nil, err
	}
	sub := fakeSub{in: make(chan libvirt.DomainEventLifecycleMsg, 16), dead: a.dead}
	a.f.subs = append(a.f.subs, sub)
	a.f.mu.Unlock()
	out := make(chan libvirt.DomainEventLifecycleMsg)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-sub.in:
				select {
				case out <- m: // like go-libvirt: no ctx here, the reader must drain
				case <-sub.dead:
					return
				}
			case <-sub.dead:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
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
		s.in <- libvirt.DomainEventLifecycleMsg{Dom: libvirt.Domain{Name: dom}, Event: event, Detail: detail}
		n++
	}
	return n
}
