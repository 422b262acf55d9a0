package simfleet

import (
	"bytes"
	"testing"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Event registrations and the frames they produce, called directly on a
// connection (no goroutines): ids, domain filters, errors, bounds and the
// events each state change sends.

// registerArgs encodes {int eventID; remote_domain dom} (dom nil: any).
func registerArgs(id int32, dom *domain) []byte {
	var w xdrWriter
	w.int32(id)
	w.bool(dom != nil)
	if dom != nil {
		encodeDomain(&w, *dom)
	}
	return w.b
}

// openConn is a connection past ConnectOpen, for calling procedures directly.
func openConn(t *testing.T, h *Host) *rpcConn {
	t.Helper()
	c := newRPCConn(h)
	if _, err := c.call(remote.ProcConnectOpen, make([]byte, 8)); err != nil {
		t.Fatalf("open: %v", err)
	}
	return c
}

// queued decodes the event frames waiting on c.
func queued(t *testing.T, c *rpcConn) []libvirtEvent {
	t.Helper()
	var out []libvirtEvent
	for {
		select {
		case b := <-c.events:
			out = append(out, decodeEventFrame(t, b))
		default:
			return out
		}
	}
}

// libvirtEvent is a decoded lifecycle event message.
type libvirtEvent struct {
	Hdr               rpcHeader
	Callback          int32
	Name              string
	ID, Event, Detail int32
}

func decodeEventFrame(t *testing.T, b []byte) libvirtEvent {
	t.Helper()
	hdr, body, _, err := readFrame(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatalf("event frame: %v", err)
	}
	r := &xdrReader{b: body}
	ev := libvirtEvent{Hdr: hdr, Callback: r.int32(), Name: r.string(maxName)}
	r.fixedOpaque(16)
	ev.ID, ev.Event, ev.Detail = r.int32(), r.int32(), r.int32()
	if err := r.end(); err != nil {
		t.Fatalf("event body: %v", err)
	}
	return ev
}

// twoActiveVMs returns two active domains of h.
func twoActiveVMs(t *testing.T, h *Host) (domain, domain) {
	t.Helper()
	var act []domain
	for _, d := range h.w.domains {
		if d.id >= 0 {
			act = append(act, d)
		}
	}
	if len(act) < 2 {
		t.Fatalf("seed has %d active VMs, want 2", len(act))
	}
	return act[0], act[1]
}

func TestEventRegistrations(t *testing.T) {
	h := newTestHost(t, 11)
	a, b := twoActiveVMs(t, h)
	all, only, reboot, idle := openConn(t, h), openConn(t, h), openConn(t, h), openConn(t, h)
	mustCall := func(c *rpcConn, proc uint32, args []byte) []byte {
		t.Helper()
		out, err := c.call(proc, args)
		if err != nil {
			t.Fatalf("procedure %d: %v", proc, err)
		}
		return out
	}
	for i, want := range []int32{1, 2} { // ids count per connection
		got := mustCall(all, remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(0, nil))
		if r := (&xdrReader{b: got}); r.int32() != want || r.end() != nil {
			t.Errorf("callback %d: reply % x, want id %d", i, got, want)
		}
	}
	mustCall(only, remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(0, &b))
	mustCall(reboot, remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(int32(libvirt.DomainEventIDReboot), nil))

	hdr := rpcHeader{remote.RemoteProgram, remote.RemoteVersion, remote.ProcDomainEventCallbackLifecycle, remote.MsgMessage, eventSerial, remote.StatusOK}
	stopped := func(cb int32, d domain) libvirtEvent {
		return libvirtEvent{hdr, cb, d.name, d.id, int32(libvirt.DomainEventStopped), int32(libvirt.DomainEventStoppedFailed)}
	}
	sortEvents := cmpopts.SortSlices(func(x, y libvirtEvent) bool { return x.Callback < y.Callback })
	steps := []struct {
		crash domain
		want  map[*rpcConn][]libvirtEvent
	}{
		{a, map[*rpcConn][]libvirtEvent{all: {stopped(1, a), stopped(2, a)}}},
		{b, map[*rpcConn][]libvirtEvent{all: {stopped(1, b), stopped(2, b)}, only: {stopped(1, b)}}},
	}
	for _, st := range steps {
		if err := h.CrashVM(st.crash.name); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]*rpcConn{"all": all, "only": only, "reboot": reboot, "idle": idle} {
			if diff := cmp.Diff(st.want[c], queued(t, c), sortEvents, cmpopts.EquateEmpty(), cmp.AllowUnexported(rpcHeader{})); diff != "" {
				t.Errorf("crash %s, connection %s (-want +got):\n%s", st.crash.name, name, diff)
			}
		}
	}
	if err := h.CrashVM(a.name); err != nil { // already down: no QEMU to die
		t.Fatal(err)
	}
	if got := queued(t, all); len(got) != 0 {
		t.Errorf("crash of an inactive VM sent %+v", got)
	}
}

func TestEventRegistrationErrors(t *testing.T) {
	h := newTestHost(t, 11)
	c := openConn(t, h)
	if _, err := c.call(remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(0, nil)); err != nil {
		t.Fatal(err)
	}
	dereg := func(id int32) []byte { var w xdrWriter; w.int32(id); return w.b }
	for _, tc := range []struct {
		name string
		proc uint32
		args []byte
		code int32
	}{
		{"negative event id", remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(-1, nil), errInternal},
		{"unknown event id", remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(99, nil), errInternal},
		{"truncated register", remote.ProcConnectDomainEventCallbackRegisterAny, []byte{0, 0, 0, 0}, errRPC},
		{"deregister unknown", remote.ProcConnectDomainEventCallbackDeregisterAny, dereg(7), errInternal},
		{"deregister trailing bytes", remote.ProcConnectDomainEventCallbackDeregisterAny, append(dereg(1), 0, 0, 0, 0), errRPC},
		{"deregister", remote.ProcConnectDomainEventCallbackDeregisterAny, dereg(1), 0},
		{"deregister twice", remote.ProcConnectDomainEventCallbackDeregisterAny, dereg(1), errInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.call(tc.proc, tc.args)
			if (tc.code == 0) != (err == nil) || (err != nil && err.code != tc.code) {
				t.Errorf("error = %v, want code %d", err, tc.code)
			}
		})
	}
	if n := h.EventSubscribers(); n != 0 {
		t.Errorf("%d subscribed connections after the last deregister, want 0", n)
	}
}

func TestEventCallbackLimitsAndClose(t *testing.T) {
	h := newTestHost(t, 11)
	c := openConn(t, h)
	for range maxCallbacks {
		if _, err := c.call(remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(0, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.call(remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(0, nil)); err == nil {
		t.Errorf("callback %d accepted, want a refusal", maxCallbacks+1)
	}
	if _, err := c.call(remote.ProcConnectClose, nil); err != nil {
		t.Fatal(err)
	}
	if n := h.EventSubscribers(); n != 0 || len(c.callbacks) != 0 {
		t.Errorf("after ConnectClose: %d subscribed, %d callbacks", n, len(c.callbacks))
	}
}

// TestEventQueueBounded: a client that never reads loses events past the
// queue instead of blocking the host.
func TestEventQueueBounded(t *testing.T) {
	h := newTestHost(t, 11)
	c := openConn(t, h)
	if _, err := c.call(remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(0, nil)); err != nil {
		t.Fatal(err)
	}
	name := h.firstRunningVM()
	for range eventQueueLen + 10 {
		if err := h.CrashVM(name); err != nil {
			t.Fatal(err)
		}
		h.restoreVM(name)
	}
	if got := len(queued(t, c)); got != eventQueueLen {
		t.Errorf("%d events queued, want the bound %d", got, eventQueueLen)
	}
}

func TestRestoreEvents(t *testing.T) {
	stopped := lifecycle{libvirt.DomainEventStopped, int32(libvirt.DomainEventStoppedFailed)}
	for _, tc := range []struct {
		name  string
		state libvirt.DomainState
		want  []lifecycle
	}{
		{"running VM boots again", libvirt.DomainRunning, []lifecycle{stopped, evBooted}},
		{"paused VM boots and pauses", libvirt.DomainPaused, []lifecycle{stopped, evBooted, evPaused}},
		{"shut off VM stays quiet", libvirt.DomainShutoff, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHost(t, 11)
			c := openConn(t, h)
			if _, err := c.call(remote.ProcConnectDomainEventCallbackRegisterAny, registerArgs(0, nil)); err != nil {
				t.Fatal(err)
			}
			var name string
			for _, d := range h.w.domains {
				if d.state == tc.state {
					name = d.name
				}
			}
			if name == "" {
				t.Fatalf("no VM in state %d", tc.state)
			}
			if err := h.CrashVM(name); err != nil {
				t.Fatal(err)
			}
			h.restoreVM(name)
			var got []lifecycle
			for _, ev := range queued(t, c) {
				if ev.Name != name {
					t.Errorf("event about %s, want %s", ev.Name, name)
				}
				got = append(got, lifecycle{libvirt.DomainEventType(ev.Event), ev.Detail})
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(lifecycle{})); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
