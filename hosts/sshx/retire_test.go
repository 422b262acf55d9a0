package sshx

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

type execOutcome struct {
	res ExecResult
	err error
}

// execAsync starts cmd on c and returns where its outcome arrives.
func execAsync(t *testing.T, c *Client, cmd string) <-chan execOutcome {
	out := make(chan execOutcome, 1)
	ctx := testCtx(t)
	go func() {
		res, err := c.Exec(ctx, cmd)
		out <- execOutcome{res, err}
	}()
	return out
}

// A probe's exec timeout reconnects the host while a restart runs on the
// same connection: the restart's command still runs to its end and reports
// its exit status, new users get a fresh connection, and the old one is
// closed once its last session ended.
func TestReconnectKeepsInflightExec(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{})
	tg := f.target("h1", s, f.trust(t, "kh", s))
	old := mustGet(t, p, tg)
	restart := execAsync(t, old, "wait")
	s.waitFor("the command to start", func() bool { return s.waiting == 1 })

	p.Reconnect("h1")
	if fresh := mustGet(t, p, tg); fresh == old {
		t.Fatal("Get after Reconnect returned the retired client")
	}
	if !old.alive() {
		t.Fatalf("Reconnect closed a client with a command in flight: %v", old.Err())
	}
	close(s.release)
	out := <-restart
	if out.err != nil || out.res.ExitCode != 0 || string(out.res.Stdout) != "done\n" {
		t.Fatalf("the in-flight command = %+v, %v; want exit 0 and its output", out.res, out.err)
	}
	waitDone(t, old)
}

// A retired client whose command never ends is closed after RetireGrace;
// the command's outcome is then unknown (it may have run), never a plain
// failure.
func TestRetireGraceBoundsInflightExec(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{RetireGrace: 50 * time.Millisecond})
	old := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	restart := execAsync(t, old, "wait")
	s.waitFor("the command to start", func() bool { return s.waiting == 1 })

	p.Reconnect("h1")
	waitDone(t, old)
	out := <-restart
	if !errors.Is(out.err, ErrExitUnknown) || !errors.Is(out.err, ErrClosed) {
		t.Fatalf("command torn down by the grace bound: %v; want ErrExitUnknown naming the local close", out.err)
	}
}

// A retired client with nothing in flight is closed at once.
func TestReconnectClosesIdleClient(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{})
	old := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	p.Reconnect("h1")
	waitDone(t, old)
}

// A host that answers keepalives but never answers streamlocal opens
// (libvirt's socket) must not cost a goroutine and a pending channel per
// round: a channel open that times out marks the connection wedged, the
// next Get retires it and dials afresh, and the retired one is closed.
func TestUnansweredOpensDoNotLeak(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	s.holdStreamlocal.Store(true)
	p := newPool(t, Options{})
	tg := f.target("h1", s, f.trust(t, "kh", s))
	round := func() {
		c := mustGet(t, p, tg)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		if _, err := c.DialUnix(ctx, "/run/libvirt/libvirt-sock"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("DialUnix on an unanswered open = %v, want DeadlineExceeded", err)
		}
	}
	round()
	base := runtime.NumGoroutine()
	const rounds = 20
	for range rounds {
		round()
	}
	s.waitFor("the retired connections to close", func() bool { return s.openConns() <= 2 })
	// Closed connections' goroutines end on their own; wait (bounded) for
	// the count to settle rather than sleeping a fixed time.
	deadline := time.After(waitLimit)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for n := runtime.NumGoroutine(); n > base+rounds/4; n = runtime.NumGoroutine() {
		select {
		case <-deadline:
			t.Fatalf("%d goroutines after %d rounds, %d before: one leaks per round", n, rounds, base)
		case <-tick.C:
		}
	}
}
