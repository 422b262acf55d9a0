package sshx

import (
	"errors"
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
