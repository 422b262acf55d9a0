package sshx

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// A dead link is found by two layers (README "Reliability on real
// networks"):
//
//   - the link: the kernel's TCP keepalive on the first hop's connection
//     (tcpDialer), which costs the process nothing, ends the connection
//     when probes or data go unacknowledged, and linkConn then kills the
//     client as a missed keepalive does;
//   - the service: keepalive@openssh.com round trips (keepalive), for what
//     TCP cannot see: an sshd frozen, or a proxy holding bytes, while a
//     kernel still acknowledges them.

// keepaliveMisses is how many keepalive intervals may pass without a reply
// before the link is declared dead.
const keepaliveMisses = 3

// tcpProbeMisses is how many unanswered TCP keepalive probes in a row end
// the connection. More than keepaliveMisses: a probe is one packet that is
// never sent again, where an SSH keepalive's request and reply are data
// TCP retransmits, so on a link losing 5% of its packets each way about
// one probe in ten goes unanswered, and three in a row come about once in
// a thousand probes (a 10-minute soak saw a healthy lossy host dropped);
// six in a row, about once in a million.
const tcpProbeMisses = 6

// linkTimeout is how long a link may stay silent before the kernel ends
// the connection, with a TCP keepalive probe every `every` after `every`
// of silence: idle + tcpProbeMisses x interval. It is also the
// connection's TCP_USER_TIMEOUT, so unacknowledged data is given up on in
// as long (five retransmissions at TCP's shortest timeouts).
func linkTimeout(every time.Duration) time.Duration {
	return (1 + tcpProbeMisses) * every
}

// tcpDialer is the default Dial: a net.Dialer whose TCP connections carry
// the kernel's keepalive (probes after every of silence, one per every,
// tcpProbeMisses of them) and TCP_USER_TIMEOUT of linkTimeout(every),
// set once connected so that connect_timeout alone bounds the connect.
// every <= 0 turns both off (and Go's own 15 s keepalive with them).
func tcpDialer(every time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if every <= 0 {
		d := &net.Dialer{KeepAlive: -1}
		return d.DialContext
	}
	d := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable: true, Idle: every, Interval: every, Count: tcpProbeMisses,
	}}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			// Best effort, as where the option does not exist
			// (sockopt_other.go): a kernel that refuses it still
			// probes, and the SSH keepalive still runs; refusing the
			// host for it would call a healthy host unreachable.
			_ = setUserTimeout(tc, linkTimeout(every))
		}
		return conn, nil
	}
}

// linkConn is the first hop's TCP connection. When the kernel ends it (a
// TCP timeout: keepalive probes or data unacknowledged) it kills the client
// before handing x/crypto the error, so Done is closed before any call
// riding on the connection fails, as for a missed keepalive: a probe cut
// off then finds the link dead instead of blaming what it was asking.
type linkConn struct {
	net.Conn
	client atomic.Pointer[Client] // set once the client exists
}

func (l *linkConn) Read(b []byte) (int, error) {
	n, err := l.Conn.Read(b)
	if err != nil {
		l.failed(err)
	}
	return n, err
}

func (l *linkConn) Write(b []byte) (int, error) {
	n, err := l.Conn.Write(b)
	if err != nil {
		l.failed(err)
	}
	return n, err
}

func (l *linkConn) failed(err error) {
	if c := l.client.Load(); c != nil && errors.Is(err, syscall.ETIMEDOUT) {
		c.die(c.linkErr(err))
	}
}

// linkErr is why the client died of err, the error that ended its
// connection. A TCP timeout (the kernel's keepalive probes or our data went
// unacknowledged) is a dead link, told as a missed keepalive is
// (ErrKeepalive), not as the socket's "read tcp ...: connection timed out".
func (c *Client) linkErr(err error) error {
	if !errors.Is(err, syscall.ETIMEDOUT) {
		return fmt.Errorf("sshx: host %s: %w", c.name, err)
	}
	if c.tcpKeepalive <= 0 {
		return fmt.Errorf("sshx: host %s: %w (TCP: no answer)", c.name, ErrKeepalive)
	}
	return fmt.Errorf("sshx: host %s: %w (TCP: no answer for %s)", c.name, ErrKeepalive, linkTimeout(c.tcpKeepalive))
}

// keepalive sends keepalive@openssh.com one interval after the last reply
// (the first at a random point of the first interval),
// from a timer: nothing runs while it waits (no goroutine or ticker per
// connection), each request is sent by the timer's own short-lived
// goroutine, and it is re-armed only once the reply came, so one request is
// in flight at a time. SendRequest blocks on a dead link or a server that
// stopped reading, so a second timer, armed before each request, declares
// the link dead when no reply came within keepaliveMisses intervals
// (closing the chain, which ends the request).
type keepalive struct {
	every time.Duration
	next  *time.Timer   // sends the next request
	dead  *time.Timer   // declares the link dead
	fired chan struct{} // closed when dead's function has run
}

// arm sets k up for c and schedules the first request.
func (k *keepalive) arm(c *Client, every time.Duration) {
	k.every = every
	k.fired = make(chan struct{})
	k.dead = time.AfterFunc(time.Hour, func() {
		defer close(k.fired)
		c.die(fmt.Errorf("sshx: host %s: %w (%d x %s)", c.name, ErrKeepalive, keepaliveMisses, every))
	})
	k.dead.Stop()
	// Armed (Reset) only once k.next is set: send reads it. The first
	// request comes at a random point of the first interval, so clients
	// connected together (a cold round) do not send theirs in step: from
	// the start they ask for len(fleet)/every requests a second, evenly.
	k.next = time.AfterFunc(time.Hour, c.sendKeepalive)
	k.next.Reset(1 + rand.N(every))
}

// stop cancels the next request; die calls it after closing done.
func (k *keepalive) stop() { k.next.Stop() }

// sendKeepalive sends one request and records its round trip; close waits
// for it.
func (c *Client) sendKeepalive() {
	if !c.track() {
		return
	}
	defer c.wg.Done()
	k := &c.ka
	if !c.alive() {
		return
	}
	sent := time.Now()
	k.dead.Reset(keepaliveMisses * k.every)
	// Any reply, even "request failed", proves the link is alive.
	_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
	if !k.dead.Stop() {
		<-k.fired // the client died of it: wait for the timer's function
		return
	}
	if err != nil {
		c.die(fmt.Errorf("sshx: host %s: keepalive: %w", c.name, err))
		return
	}
	c.rtt.Store(int64(time.Since(sent)))
	k.next.Reset(k.every)
	if !c.alive() { // died meanwhile, maybe before die's stop: no request is due
		k.next.Stop()
	}
}
