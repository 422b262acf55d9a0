package sshx

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The keepalive is timer-driven: while it waits nothing of it runs, one
// request is in flight at a time, and a request stuck without a reply
// declares the link dead after keepaliveMisses intervals, not later.
func TestKeepaliveOneInFlightDeadOnStuckReply(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs last: after the pool and server closed
	f := newFixture(t)
	s := newTestServer(t)
	const every = 50 * time.Millisecond
	p := newPool(t, Options{KeepaliveInterval: every})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	s.waitKeepalives(3) // each request is sent only after the previous reply
	if c.RTT() <= 0 {
		t.Errorf("RTT = %s after answered keepalives", c.RTT())
	}
	s.silentKeepalive.Store(true)
	before := s.keepaliveCount.Load()
	waitDone(t, c)
	if !errors.Is(c.Err(), ErrKeepalive) || !strings.Contains(c.Err().Error(), "(3 x 50ms)") {
		t.Fatalf("Err() = %v, want ErrKeepalive after 3 x 50ms", c.Err())
	}
	// The request left unanswered was the last: none was sent while it
	// waited for its reply.
	if n := s.keepaliveCount.Load() - before; n > 1 {
		t.Errorf("%d keepalives reached the silent server, want at most 1 in flight", n)
	}
}

// A client closed while its keepalive waits for a reply that will never
// come is closed at once, with nothing left running (goleak), and says it
// was closed, not that the link died.
func TestKeepaliveStuckRequestEndsWithClose(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	f := newFixture(t)
	s := newTestServer(t)
	s.silentKeepalive.Store(true)
	p := NewPool(Options{KeepaliveInterval: time.Second}) // dead only 3 s after the request
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	s.waitKeepalives(1)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if c.alive() || !errors.Is(c.Err(), ErrClosed) {
		t.Errorf("after Close: alive %v, Err() = %v, want ErrClosed", c.alive(), c.Err())
	}
}

// A target behind a jump host gets its SSH keepalive at the TCP
// keepalive's cadence when that is shorter (the kernel probes only the
// first hop); a direct target keeps keepalive_interval.
func TestKeepaliveCadence(t *testing.T) {
	f := newFixture(t)
	jump, target := newTestServer(t), newTestServer(t)
	jumpKH, targetKH := f.trust(t, "kh-jump", jump), f.trust(t, "kh-target", target)
	for _, tc := range []struct {
		name      string
		tcp       time.Duration
		viaJump   bool
		wantEvery time.Duration
	}{
		{"direct", 2 * time.Second, false, time.Minute},
		{"via jump", 2 * time.Second, true, 2 * time.Second},
		{"via jump, TCP keepalive off", -1, true, time.Minute},
		{"via jump, TCP keepalive longer", 2 * time.Minute, true, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, Options{KeepaliveInterval: time.Minute, TCPKeepalive: tc.tcp})
			tg := f.target("t", target, targetKH)
			if tc.viaJump {
				tg.Jumps = []Endpoint{f.endpoint("bastion", jump, jumpKH)}
			}
			if c := mustGet(t, p, tg); c.ka.every != tc.wantEvery {
				t.Errorf("keepalive every %s, want %s", c.ka.every, tc.wantEvery)
			}
		})
	}
}

// When the kernel ends the connection (a TCP timeout: keepalive probes or
// data unacknowledged), the client dies of ErrKeepalive before any call on
// the connection fails: a command cut off by it finds Done already closed,
// as with a missed SSH keepalive, and neither says "connection timed out".
func TestTCPTimeoutDiesAsKeepalive(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	var conn atomic.Pointer[timeoutConn]
	p := newPool(t, Options{TCPKeepalive: time.Second, Dial: timeoutDial(&conn, false)})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	type outcome struct {
		err      error
		doneThen bool
	}
	out := make(chan outcome, 1)
	go func() {
		_, err := c.Exec(testCtx(t), "wait")
		out <- outcome{err, !c.alive()}
	}()
	s.waitFor("the command to start", func() bool { return s.waiting == 1 })
	conn.Load().timeOut()
	var o outcome
	select {
	case o = <-out:
	case <-time.After(waitLimit):
		t.Fatal("the command did not end with the connection")
	}
	if !o.doneThen {
		t.Error("the command failed before the client was dead")
	}
	if !errors.Is(o.err, ErrExitUnknown) || !errors.Is(o.err, ErrKeepalive) {
		t.Errorf("Exec: %v, want ErrExitUnknown and ErrKeepalive", o.err)
	}
	err := c.Err()
	if !errors.Is(err, ErrKeepalive) || !strings.Contains(err.Error(), "TCP: no answer for 7s") ||
		strings.Contains(err.Error(), "connection timed out") {
		t.Errorf("Err() = %v, want ErrKeepalive (TCP: no answer for 7s) without the socket's text", err)
	}
}

// timeoutConn is a TCP connection whose reads fail, on timeOut, as the
// kernel's would when it gives up on the link (ETIMEDOUT).
type timeoutConn struct {
	net.Conn
	cut atomic.Bool
}

func (c *timeoutConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.cut.Load() {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}
	}
	return n, err
}

// timeoutDial dials TCP as a timeoutConn, already timed out when cut, and
// keeps the last one in last.
func timeoutDial(last *atomic.Pointer[timeoutConn], cut bool) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := &timeoutConn{Conn: nc}
		tc.cut.Store(cut)
		last.Store(tc)
		return tc, nil
	}
}

// timeOut makes the read in progress, and every later one, fail.
func (c *timeoutConn) timeOut() {
	c.cut.Store(true)
	_ = c.Conn.SetReadDeadline(time.Now())
}

func TestLinkErr(t *testing.T) {
	timedOut := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}
	for _, tc := range []struct {
		name      string
		tcp       time.Duration
		err       error
		keepalive bool
		want      string
	}{
		{"TCP timeout", time.Second, timedOut, true, "sshx: host h: sshx: keepalive timed out, link considered dead (TCP: no answer for 7s)"},
		{"TCP timeout, keepalive off", -1, timedOut, true, "sshx: host h: sshx: keepalive timed out, link considered dead (TCP: no answer)"},
		{"reset", time.Second, syscall.ECONNRESET, false, "sshx: host h: connection reset by peer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := (&Client{name: "h", tcpKeepalive: tc.tcp}).linkErr(tc.err)
			if errors.Is(got, ErrKeepalive) != tc.keepalive || got.Error() != tc.want {
				t.Errorf("linkErr = %q (keepalive %v), want %q", got, errors.Is(got, ErrKeepalive), tc.want)
			}
		})
	}
}

// A handshake the kernel gives up on (TCP_USER_TIMEOUT: the server's side
// stopped acknowledging) is a handshake timeout, which probes report as
// "unreachable: ssh handshake timed out", not the socket's error.
func TestTCPTimeoutInHandshake(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{Dial: timeoutDial(new(atomic.Pointer[timeoutConn]), true)})
	_, err := p.Get(testCtx(t), f.target("h1", s, f.trust(t, "kh", s)))
	if !errors.Is(err, ErrHandshakeTimeout) {
		t.Errorf("Get = %v, want ErrHandshakeTimeout", err)
	}
}
