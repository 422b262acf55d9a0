package probes

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// wireLifecycle encodes remote_domain_event_callback_lifecycle_msg: the
// callback ID, the domain (name, UUID, ID), the event and its detail.
func wireLifecycle(id int32, name string, typ, detail int32) []byte {
	b := xdrStr(xdrU32(nil, uint32(id)), name)
	b = append(b, bytes.Repeat([]byte{0xab}, 16)...) // the UUID
	return xdrU32(xdrU32(xdrU32(b, 7), uint32(typ)), uint32(detail))
}

// wireEvent frames a lifecycle event as libvirtd sends it.
func wireEvent(id int32, name string, typ, detail int32) []byte {
	return wirePacket(wireEventLifecycle, remote.MsgMessage, 0, 0, wireLifecycle(id, name, typ, detail))
}

func TestDecodeLifecycle(t *testing.T) {
	suspended := int32(libvirt.DomainEventSuspended)
	good := wireLifecycle(3, "web-1", suspended, int32(libvirt.DomainEventSuspendedIoerror))
	long := strings.Repeat("x", maxEventName+9)
	tests := []struct {
		name string
		body []byte
		want lifecycleMsg
		err  error
	}{
		{"event", good, lifecycleMsg{callbackID: 3, domain: "web-1", typ: suspended, detail: 2}, nil},
		{"empty name, negative values", wireLifecycle(-1, "", -5, -6),
			lifecycleMsg{callbackID: -1, typ: -5, detail: -6}, nil},
		{"name kept to maxEventName bytes", wireLifecycle(1, long, 0, 0),
			lifecycleMsg{callbackID: 1, domain: long[:maxEventName]}, nil},
		{"empty", nil, lifecycleMsg{}, errMalformedReply},
		{"detail missing", good[:len(good)-4], lifecycleMsg{}, errMalformedReply},
		{"name padding missing", good[:4+4+5], lifecycleMsg{}, errMalformedReply},
		{"2 GiB name", xdrU32(xdrU32(nil, 3), 0x7fffffff), lifecycleMsg{}, errMalformedReply},
		{"4 GiB name", append(xdrU32(xdrU32(nil, 3), 0xffffffff), good[8:]...), lifecycleMsg{}, errMalformedReply},
		{"bytes left over", append(good, 0, 0, 0, 0), lifecycleMsg{}, errMalformedReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeLifecycle(tt.body)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Errorf("decodeLifecycle = %+v, %v; want %+v, %v", got, err, tt.want, tt.err)
			}
		})
	}
	// Remote text is cleaned before it is shown.
	m, _ := decodeLifecycle(wireLifecycle(1, "\x1b[31mweb\u202e\n1", suspended, 0))
	if ev := m.domainEvent(); ev.String() != "web 1 suspended (paused)" {
		t.Errorf("event %q", ev.String())
	}
}

// The decoder reads back what was encoded and never keeps more of a name
// than maxEventName; garbage is an errMalformedReply, never a panic.
func FuzzDecodeLifecycle(f *testing.F) {
	f.Add(wireLifecycle(1, "web-1", 5, 1))
	f.Add(wireLifecycle(7, "", 0, 0))
	f.Add(xdrU32(xdrU32(nil, 1), 0xfffffff0))
	f.Add(wireLifecycle(2, "db", 3, 2)[:20])
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := decodeLifecycle(body)
		if err != nil {
			if !errors.Is(err, errMalformedReply) {
				t.Fatalf("decodeLifecycle: %v", err)
			}
			return
		}
		if len(m.domain) > maxEventName {
			t.Fatalf("kept %d bytes of a name", len(m.domain))
		}
		if len(m.domain) < maxEventName {
			// Padding is not read (nor by go-libvirt): compare without it.
			n := len(m.domain)
			want := slices.Clone(body)
			clear(want[8+n : 8+padded(n)])
			uuid, id := body[len(body)-28:len(body)-12], body[len(body)-12:len(body)-8]
			again := xdrU32(xdrU32(append(append(xdrStr(xdrU32(nil, uint32(m.callbackID)), m.domain), uuid...), id...),
				uint32(m.typ)), uint32(m.detail))
			if !bytes.Equal(again, want) {
				t.Fatalf("decoded %+v from %x, which encodes as %x", m, body, again)
			}
		}
		if ev := m.domainEvent(); remote.CleanLine(ev.Domain) != ev.Domain || remote.CleanLine(ev.What) != ev.What {
			t.Fatalf("event %q is not clean", ev.String())
		}
	})
}

// eventSession opens a session with the production go-libvirt client over
// a wire daemon whose answer to the register call is reg.
func eventSession(t *testing.T, reg wireReply) *lvSession {
	t.Helper()
	w := healthyWire()
	w[wireEventRegisterAny] = reg
	serve := serveWire(w)
	sess, err := openLibvirt(t.Context(), dialConn(func() (net.Conn, error) {
		client, server := net.Pipe()
		go serve(server)
		return client, nil
	}), testHost("hv1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !sess.shutdown(grace(t)) {
			t.Error("session goroutines did not exit")
		}
	})
	return sess
}

// takeEvents takes the session's events until it holds n (or fails).
func takeEvents(t *testing.T, sess *lvSession, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		within(t, sess.ev.signal(), "lifecycle events")
		evs, _ := sess.ev.take()
		for _, ev := range evs {
			got = append(got, ev.String())
		}
	}
	return got
}

// Events reach the session from the pump: those the daemon sends before
// its reply to the register call are kept when they carry the callback ID
// the reply gives, in order; another callback's are counted as stray.
func TestPumpLifecycleEvents(t *testing.T) {
	started, crashed := int32(libvirt.DomainEventStarted), int32(libvirt.DomainEventCrashed)
	sess := eventSession(t, wireReply{
		pre:  append(wireEvent(4, "early", started, 0), wireEvent(9, "foreign", started, 0)...),
		body: xdrU32(nil, 4),
		post: append(wireEvent(5, "foreign", crashed, 0), wireEvent(4, "late", crashed, 0)...),
	})
	if err := sess.subscribe(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := takeEvents(t, sess, 2)
	want := []string{"early started (booted)", "late crashed (panicked)"}
	if !slicesEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	// The foreign events came before the last of ours (one pump, in
	// order): both are counted by now.
	if n := sess.ev.strays(); n != 2 {
		t.Errorf("%d stray events, want 2", n)
	}
	if !sess.alive() {
		t.Error("events killed the session")
	}
}

// A daemon that refuses the registration leaves a live session without
// events: the rounds poll, and whatever it sends anyway is stray.
func TestPumpLifecycleRefused(t *testing.T) {
	sess := eventSession(t, wireReply{status: 1, body: xdrU32(xdrStr(xdrU32(xdrU32(xdrU32(nil, 3), 10), 1), "no"), 2),
		pre: wireEvent(0, "web", 0, 0)})
	if err := sess.subscribe(t.Context()); err != nil {
		t.Fatalf("subscribe = %v, want nil (refused)", err)
	}
	if evs, _ := sess.ev.take(); len(evs) != 0 || sess.ev.strays() != 1 {
		t.Errorf("events %v, %d stray; want none, 1", evs, sess.ev.strays())
	}
	if !sess.alive() {
		t.Error("a refusal killed the session")
	}
}

// An event that does not decode is a malformed packet: the stream is cut
// and the subscribing call fails with the cause.
func TestPumpLifecycleMalformed(t *testing.T) {
	bad := wirePacket(wireEventLifecycle, remote.MsgMessage, 0, 0, xdrU32(xdrU32(nil, 1), 0x7fffffff))
	sess := eventSession(t, wireReply{pre: bad, body: xdrU32(nil, 1)})
	if err := sess.subscribe(t.Context()); !errors.Is(err, errMalformedReply) {
		t.Fatalf("subscribe = %v, want errMalformedReply", err)
	}
	if sess.alive() {
		t.Error("the session outlived a malformed event")
	}
}
