package probes

import (
	"bytes"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// sessionGoroutines is what one open libvirt session subscribed to
// lifecycle events holds while no call is out: go-libvirt's reader
// (socket.listenAndRoute) and disconnect waiter, and our pump. The events
// take none (libvirt_events_wire.go); go-libvirt's subscription took three
// (its relay, its stream's queue, ours draining its channel), 6 in all.
// At 10,000 hosts each goroutine costs its stack (2-4 KiB) and ~0.4 KB of
// heap, per host: README "Goroutines per host".
const sessionGoroutines = 3

var goroutineHead = regexp.MustCompile(`^goroutine (\d+) `)

// goroutines is every goroutine's stack by its ID.
func goroutines() map[string][]byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string][]byte{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if m := goroutineHead.FindSubmatch(g); m != nil {
			out[string(m[1])] = g
		}
	}
	return out
}

// A session costs sessionGoroutines, events included, counted from the
// stacks of the goroutines it started (the test's wire daemon aside).
func TestLibvirtSessionGoroutines(t *testing.T) {
	before := goroutines()
	sess := eventSession(t, wireReply{body: xdrU32(nil, 1)})
	if err := sess.subscribe(t.Context()); err != nil {
		t.Fatal(err)
	}
	sess.calls.Wait() // the calls' own goroutines have returned
	if sess.ev.sub != subscribed {
		t.Fatalf("not subscribed: %v", sess.ev.sub)
	}
	var started []string
	for id, stack := range goroutines() {
		if _, ok := before[id]; !ok && !bytes.Contains(stack, []byte("serveWire")) {
			started = append(started, string(stack))
		}
	}
	if len(started) != sessionGoroutines {
		slices.Sort(started)
		t.Errorf("a subscribed session holds %d goroutines, want %d:\n\n%s", len(started), sessionGoroutines,
			strings.Join(started, "\n\n"))
	}
}
