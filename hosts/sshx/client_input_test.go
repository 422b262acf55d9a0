package sshx

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// The client answers what the server sends unasked as x/crypto's own
// Client does: a global request gets a failure reply (a reply all the same,
// so a server's keepalive sees the link alive) and a channel open is
// refused; when the server goes, the client dies.
func TestClientAnswersServerInput(t *testing.T) {
	f := newFixture(t)
	type answers struct {
		replyOK    bool
		replyErr   error
		openErr    error
		openedChan bool
	}
	got := make(chan answers, 1)
	s := newTestServer(t, withConnHook(func(sc ssh.Conn) {
		var a answers
		a.replyOK, _, a.replyErr = sc.SendRequest("keepalive@openssh.com", true, nil)
		ch, reqs, err := sc.OpenChannel("forwarded-tcpip", nil)
		a.openErr = err
		if err == nil {
			a.openedChan = true
			go ssh.DiscardRequests(reqs)
			_ = ch.Close()
		}
		got <- a
	}))
	p := newPool(t, Options{})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	var a answers
	select {
	case a = <-got:
	case <-time.After(waitLimit):
		t.Fatal("the server's request or channel open got no answer")
	}
	if a.replyErr != nil || a.replyOK {
		t.Errorf("global request: ok=%v err=%v, want a failure reply", a.replyOK, a.replyErr)
	}
	var oce *ssh.OpenChannelError
	if a.openedChan || !errors.As(a.openErr, &oce) || oce.Reason != ssh.UnknownChannelType {
		t.Errorf("channel open: err=%v, want refused as an unknown channel type", a.openErr)
	}
	s.close()
	waitDone(t, c)
	if c.Err() == nil || errors.Is(c.Err(), ErrClosed) {
		t.Errorf("Err() = %v, want why the server went", c.Err())
	}
}

// The requests a server sends on socket channels are answered (refused):
// the libvirt session's by the client's serveInput, those of another
// channel open at the same time by a goroutine of their own.
func TestSocketChannelRequestsAnswered(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t, withSocketRequests())
	p := newPool(t, Options{})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	path := echoUnix(t)
	for i := range 2 {
		conn, err := c.DialUnix(testCtx(t), path)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		select {
		case refused := <-s.socketReqs:
			if !refused {
				t.Errorf("channel %d: the request was not refused", i)
			}
		case <-time.After(waitLimit):
			t.Fatalf("channel %d: the request got no answer", i)
		}
	}
}

// A target's client starts none of x/crypto's client goroutines (NewClient
// starts three: the server's requests, its channel opens, and a waiter for
// the connection's end): serveInput does their work, one goroutine per host
// instead of four. Goroutines are told apart by ID, so one of an earlier
// test's connections ending meanwhile cannot hide a new one.
func TestTargetClientStartsNoClientGoroutines(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := newPool(t, Options{})
	before := clientGoroutines()
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	for id := range clientGoroutines() {
		if !before[id] {
			t.Errorf("x/crypto client goroutine %s started by the connection", id)
		}
	}
	// and the bare client still runs commands
	if res, err := c.Exec(testCtx(t), "echo ok"); err != nil || string(res.Stdout) != "ok\n" || res.ExitCode != 0 {
		t.Errorf("Exec on the target = %+v, %v", res, err)
	}
}

// clientGoroutines is the IDs of the goroutines running x/crypto's
// ssh.Client's own functions (NewClient's and its handlers).
func clientGoroutines() map[string]bool {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	ids := map[string]bool{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "golang.org/x/crypto/ssh.NewClient") ||
			strings.Contains(g, "golang.org/x/crypto/ssh.(*Client).handle") {
			id, _, _ := strings.Cut(strings.TrimPrefix(g, "goroutine "), " ")
			ids[id] = true
		}
	}
	return ids
}
