package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestJumpChain(t *testing.T) {
	f := newFixture(t)
	jump := newTestServer(t)
	target := newTestServer(t)
	wrong := newEd25519(t)
	jumpKH := f.trust(t, "kh-jump", jump)
	targetKH := f.trust(t, "kh-target", target)
	badKH := writeFile(t, f.dir, "kh-bad",
		hostLine(jump.addr, wrong.PublicKey()), hostLine(target.addr, wrong.PublicKey()))

	tests := []struct {
		name               string
		jumpKH, targetKH   string
		wantHop            string
		wantVia            []string
		wantInMessageParts []string
	}{
		{name: "both hops checked ok", jumpKH: jumpKH, targetKH: targetKH},
		{name: "jump key wrong", jumpKH: badKH, targetKH: targetKH, wantHop: "bastion",
			wantInMessageParts: []string{"host web1: at jump bastion", "CHANGED"}},
		// The target is checked against its own file for its own address,
		// not the jump's: a correct jump entry does not vouch for it.
		{name: "target key wrong", jumpKH: jumpKH, targetKH: badKH, wantHop: "web1", wantVia: []string{"bastion"},
			wantInMessageParts: []string{"via jump bastion", "CHANGED"}},
		{name: "target checked against its own file", jumpKH: jumpKH, targetKH: jumpKH, wantHop: "web1",
			wantVia: []string{"bastion"}, wantInMessageParts: []string{"unknown host key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, Options{})
			tg := f.target("web1", target, tc.targetKH)
			tg.Jumps = []Endpoint{f.endpoint("bastion", jump, tc.jumpKH)}
			c, err := p.Get(testCtx(t), tg)
			if tc.wantHop == "" {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if res, err := c.Exec(testCtx(t), "echo via"); err != nil || string(res.Stdout) != "via\n" {
					t.Fatalf("Exec through jump = %q, %v", res.Stdout, err)
				}
				return
			}
			var de *DialError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DialError", err)
			}
			if de.Hop != tc.wantHop || !cmp.Equal(de.Via, tc.wantVia) {
				t.Errorf("failed at hop %q via %v, want %q via %v", de.Hop, de.Via, tc.wantHop, tc.wantVia)
			}
			if !errors.Is(err, ErrHostKey) {
				t.Errorf("errors.Is(ErrHostKey) = false for %v", err)
			}
			for _, part := range tc.wantInMessageParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q lacks %q", err, part)
				}
			}
		})
	}
	t.Run("closing the target closes the chain", func(t *testing.T) {
		p := NewPool(Options{KeepaliveInterval: time.Minute})
		tg := f.target("web1", target, targetKH)
		tg.Jumps = []Endpoint{f.endpoint("bastion", jump, jumpKH)}
		mustGet(t, p, tg)
		jump.waitFor("jump connection", func() bool { return jump.openConns() == 1 })
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		jump.waitFor("jump connection to close", func() bool { return jump.openConns() == 0 })
		target.waitFor("target connection to close", func() bool { return target.openConns() == 0 })
	})
}

// A frozen sshd (accepts TCP, never speaks) must fail at the deadline, both
// directly (deadline on the TCP conn) and behind a jump host (a channel conn
// without deadline support, closed by a timer).
func TestFrozenServerFailsAtDeadline(t *testing.T) {
	f := newFixture(t)
	jump := newTestServer(t)
	frozen := frozenServer(t)
	_, portStr, _ := net.SplitHostPort(frozen)
	var port int
	fmt.Sscan(portStr, &port)
	kh := writeFile(t, f.dir, "kh", hostLine(frozen, newEd25519(t).PublicKey()), hostLine(jump.addr, jump.hostKeys[0].PublicKey()))

	for _, viaJump := range []bool{false, true} {
		t.Run(fmt.Sprintf("via jump %v", viaJump), func(t *testing.T) {
			tg := Target{Endpoint: Endpoint{Name: "frozen", Address: "127.0.0.1", Port: port, User: "test",
				IdentityFiles: []string{f.key}, KnownHosts: []string{kh}}, ConnectTimeout: 200 * time.Millisecond}
			if viaJump {
				tg.Jumps = []Endpoint{f.endpoint("bastion", jump, kh)}
			}
			// The test's own ctx is far longer: hanging past the connect
			// deadline shows up as a context error, not ErrHandshakeTimeout.
			_, err := newPool(t, Options{}).Get(testCtx(t), tg)
			if !errors.Is(err, ErrHandshakeTimeout) {
				t.Fatalf("err = %v, want ErrHandshakeTimeout", err)
			}
			var de *DialError
			if !errors.As(err, &de) || de.Hop != "frozen" {
				t.Errorf("err %v does not name hop frozen", err)
			}
		})
	}
}

func TestUnreachableAndBackoff(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	kh := f.trust(t, "kh", s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	var dials atomic.Int32
	var d net.Dialer
	p := newPool(t, Options{BackoffMin: time.Hour, BackoffMax: 2 * time.Hour,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		}})
	tg := f.target("h1", s, kh)
	tg.Port = deadPort

	_, err = p.Get(testCtx(t), tg)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("first Get = %v, want ErrUnreachable", err)
	}
	tg.Port = s.port // the host is back, but we are in backoff
	_, err = p.Get(testCtx(t), tg)
	if !errors.Is(err, ErrBackoff) || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("second Get = %v, want ErrBackoff wrapping ErrUnreachable", err)
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("dialed %d times, want 1 (no redial during backoff)", n)
	}
	p.Reconnect("h1")
	if _, err := p.Get(testCtx(t), tg); err != nil {
		t.Fatalf("Get after Reconnect: %v", err)
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("dialed %d times, want 2", n)
	}
}

func TestBackoffBounds(t *testing.T) {
	p := NewPool(Options{BackoffMin: time.Second, BackoffMax: 8 * time.Second})
	defer p.Close()
	tests := []struct {
		failures int
		hi       time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {30, 8 * time.Second}}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.failures), func(t *testing.T) {
			for range 200 {
				if d := p.backoff(tc.failures); d < time.Second || d > tc.hi {
					t.Fatalf("backoff(%d) = %s, want in [1s, %s]", tc.failures, d, tc.hi)
				}
			}
		})
	}
}

func TestConcurrentGetSharesOneDial(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{})
	tg := f.target("h1", s, f.trust(t, "kh", s))
	const n = 8
	clients := make([]*Client, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Get(testCtx(t), tg)
			if err != nil {
				t.Error(err)
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	for _, c := range clients {
		if c != clients[0] {
			t.Fatal("Get returned different clients for one host")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.accepts != 1 {
		t.Errorf("server accepted %d connections, want 1", s.accepts)
	}
}

// The server holds every handshake until released; the pool must never have
// more than MaxHandshakes connections waiting on it.
func TestHandshakeLimiter(t *testing.T) {
	const limit, hosts = 2, 6
	f := newFixture(t)
	s := newTestServer(t, withGate())
	kh := f.trust(t, "kh", s)
	p := newPool(t, Options{MaxHandshakes: limit})
	var wg sync.WaitGroup
	errs := make(chan error, hosts)
	for i := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Get(testCtx(t), f.target(fmt.Sprintf("h%d", i), s, kh))
			errs <- err
		}()
	}
	for released := 0; released < hosts; released++ {
		s.waitFor("a handshake to start", func() bool { return s.accepts > released })
		s.gate <- struct{}{}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxInflight > limit || s.accepts != hosts {
		t.Errorf("max concurrent handshakes %d (limit %d), accepts %d (want %d)", s.maxInflight, limit, s.accepts, hosts)
	}
}

func TestKeepaliveDetectsDeadLink(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{KeepaliveInterval: 20 * time.Millisecond})
	tg := f.target("h1", s, f.trust(t, "kh", s))
	c := mustGet(t, p, tg)
	s.waitKeepalives(2) // the second request is sent only after the first reply
	if c.RTT() <= 0 {
		t.Errorf("RTT = %s after an answered keepalive", c.RTT())
	}
	s.silentKeepalive.Store(true)
	waitDone(t, c)
	if !errors.Is(c.Err(), ErrKeepalive) {
		t.Fatalf("Err() = %v, want ErrKeepalive", c.Err())
	}
	// A dead client is replaced on the next Get, without backoff.
	s.silentKeepalive.Store(false)
	c2 := mustGet(t, p, tg)
	if c2 == c {
		t.Fatal("Get returned the dead client")
	}
}

func TestRemoteCloseMarksClientDead(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	s.mu.Lock()
	for conn := range s.open {
		_ = conn.Close()
	}
	s.mu.Unlock()
	waitDone(t, c)
	if c.Err() == nil || errors.Is(c.Err(), ErrClosed) {
		t.Errorf("Err() = %v, want the remote close", c.Err())
	}
}
