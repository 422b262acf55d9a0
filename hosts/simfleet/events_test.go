package simfleet

import (
	"context"
	"errors"
	"testing"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"
)

// Lifecycle events: go-libvirt's LifecycleEvents over the in-process SSH
// channel, and the registrations and frames underneath.

// eventWait bounds how long a test waits for a pushed event.
const eventWait = 10 * time.Second

// subscribe connects go-libvirt to h over SSH and registers for lifecycle
// events. cleanup cancels the subscription, drains the channel (go-libvirt's
// event goroutine blocks on its send) and disconnects.
func subscribe(t *testing.T, f *Fleet, h *Host) (*libvirt.Libvirt, <-chan libvirt.DomainEventLifecycleMsg, context.CancelFunc) {
	t.Helper()
	l := libvirt.NewWithDialer(sshDialer{mustDial(t, f, h), DefaultLibvirtSocket})
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		t.Fatalf("ConnectToURI: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := l.LifecycleEvents(ctx)
	if err != nil {
		cancel()
		l.Disconnect()
		t.Fatalf("LifecycleEvents: %v", err)
	}
	t.Cleanup(func() {
		// The fleet stops with t.Context(), before cleanups run: the
		// connection is gone or going, so Disconnect's error says nothing.
		cancel()
		waitClosed(t, ch)
		l.Disconnect()
	})
	return l, ch, cancel
}

// nextLifecycle waits a bounded time for one event.
func nextLifecycle(t *testing.T, ch <-chan libvirt.DomainEventLifecycleMsg) libvirt.DomainEventLifecycleMsg {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("event channel closed")
		}
		return m
	case <-time.After(eventWait):
		t.Fatal("no lifecycle event")
	}
	return libvirt.DomainEventLifecycleMsg{}
}

// waitClosed drains ch until go-libvirt closes it, within a bounded wait.
func waitClosed(t *testing.T, ch <-chan libvirt.DomainEventLifecycleMsg) {
	t.Helper()
	deadline := time.After(eventWait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Error("event channel not closed")
			return
		}
	}
}

// eventOf is an event's name, type and detail, for comparison.
type eventOf struct {
	Name          string
	Event, Detail int32
}

func lifecycleOf(m libvirt.DomainEventLifecycleMsg) eventOf {
	return eventOf{m.Dom.Name, m.Event, m.Detail}
}

func TestLifecycleEventsOverSSH(t *testing.T) {
	f := startFleet(t, Options{Hosts: 2, Quiet: true, Seed: 4})
	h := f.Host("demo-01")
	_, ch, _ := subscribe(t, f, h)
	_, other, _ := subscribe(t, f, h) // a second client gets every event too
	vm := h.firstRunningVM()
	if err := h.CrashVM(vm); err != nil {
		t.Fatal(err)
	}
	crashed := eventOf{vm, int32(libvirt.DomainEventStopped), int32(libvirt.DomainEventStoppedFailed)}
	for _, c := range []<-chan libvirt.DomainEventLifecycleMsg{ch, other} {
		if diff := cmp.Diff(crashed, lifecycleOf(nextLifecycle(t, c))); diff != "" {
			t.Errorf("crash event (-want +got):\n%s", diff)
		}
	}
	h.restoreVM(vm)
	m := nextLifecycle(t, ch)
	booted := eventOf{vm, int32(libvirt.DomainEventStarted), int32(libvirt.DomainEventStartedBooted)}
	if diff := cmp.Diff(booted, lifecycleOf(m)); diff != "" || m.Dom.ID < 1 {
		t.Errorf("restore event id %d (-want +got):\n%s", m.Dom.ID, diff)
	}
	if diff := cmp.Diff(booted, lifecycleOf(nextLifecycle(t, other))); diff != "" {
		t.Errorf("second client's restore event (-want +got):\n%s", diff)
	}
	if got := f.Host("demo-02").EventSubscribers(); got != 0 {
		t.Errorf("demo-02 has %d subscribers, want 0", got)
	}
}

func TestLifecycleDeregister(t *testing.T) {
	f := startFleet(t, Options{Hosts: 1, Quiet: true, Seed: 4})
	h := f.Hosts()[0]
	l, ch, cancel := subscribe(t, f, h)
	if got := h.EventSubscribers(); got != 1 {
		t.Fatalf("%d subscribed connections, want 1", got)
	}
	cancel() // go-libvirt deregisters and closes the channel
	waitClosed(t, ch)
	waitFor(t, "the callback to be deregistered", func() bool { return h.EventSubscribers() == 0 })
	if err := h.CrashVM(h.firstRunningVM()); err != nil {
		t.Fatal(err)
	}
	err := l.ConnectDomainEventCallbackDeregisterAny(1)
	var le libvirt.Error
	if !errors.As(err, &le) || le.Code != errInternal {
		t.Errorf("deregister twice = %v, want libvirt internal error", err)
	}
	if _, err := l.ConnectGetLibVersion(); err != nil {
		t.Errorf("connection unusable after deregister: %v", err)
	}
}

func TestDaemonStopEndsSubscription(t *testing.T) {
	f := startFleet(t, Options{Hosts: 1, Quiet: true, Seed: 4})
	h := f.Hosts()[0]
	l, ch, _ := subscribe(t, f, h)
	h.StopDaemon()
	waitClosed(t, ch)
	select {
	case <-l.Disconnected():
	case <-time.After(eventWait):
		t.Fatal("client not disconnected")
	}
	waitFor(t, "the subscription to end", func() bool { return h.EventSubscribers() == 0 })
}
