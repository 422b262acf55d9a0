package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Client is one live SSH connection to a host (with its jump chain), shared
// by every probe and by the libvirt tunnel. A Pool owns it: callers never
// close it; when it dies (keepalive, EOF, Pool.Close) Done is closed and the
// next Pool.Get redials.
type Client struct {
	name      string
	ssh       *ssh.Client
	chain     []*ssh.Client // jump hops then the target, outermost first
	link      *linkConn     // the first hop's TCP connection
	handshake time.Duration
	maxOutput int
	// tcpKeepalive is the kernel keepalive's cadence on the first hop
	// (Options.TCPKeepalive; <= 0 off), for linkErr.
	tcpKeepalive time.Duration

	life     context.Context // ends when the client dies
	stopLife context.CancelFunc
	rtt      atomic.Int64
	wedged   atomic.Bool // a channel open went unanswered
	done     chan struct{}
	dieOnce  sync.Once
	errMu    sync.Mutex
	err      error
	wgMu     sync.Mutex // orders wg.Add against the final wg.Wait
	closing  bool
	wg       sync.WaitGroup // keepalive, server input and exec helpers
	ka       keepalive

	execMu sync.Mutex
	execs  int           // Exec calls in flight
	idle   chan struct{} // set by retire; closed when execs is 0

	// adopt hands serveInput the requests of a socket channel to discard,
	// when it waits with none (unbuffered: a channel handed over is served
	// at once, never queued behind another; dialStreamLocal).
	adopt chan (<-chan *ssh.Request)
}

// newClient arms the client's keepalive and starts its server-input
// goroutine; in is what the target's server sends unasked (see clientOf).
// life is derived from ctx without its cancellation: the connection
// outlives the Get that dialed it and ends only when it dies. A target
// behind jump hosts gets its SSH keepalive at the TCP keepalive's cadence
// when that is shorter: the kernel probes only the first hop's link.
func newClient(ctx context.Context, name string, chain []*ssh.Client, link *linkConn, in serverInput, latency time.Duration, opts Options) *Client {
	life, stop := context.WithCancel(context.WithoutCancel(ctx))
	c := &Client{
		name:         name,
		ssh:          chain[len(chain)-1],
		chain:        chain,
		link:         link,
		handshake:    latency,
		maxOutput:    opts.MaxOutput,
		tcpKeepalive: opts.TCPKeepalive,
		life:         life,
		stopLife:     stop,
		done:         make(chan struct{}),
		adopt:        make(chan (<-chan *ssh.Request)),
	}
	every := opts.KeepaliveInterval
	if len(chain) > 1 && opts.TCPKeepalive > 0 {
		every = min(every, opts.TCPKeepalive)
	}
	c.ka.arm(c, every) // before serveInput, whose die stops it
	if link != nil {
		link.client.Store(c) // a TCP timeout from now on kills c first
	}
	c.wg.Add(1)
	go c.serveInput(in)
	return c
}

// serverInput is what an SSH server sends unasked: global requests and
// channel opens. Both channels close when the connection ends.
type serverInput struct {
	reqs  <-chan *ssh.Request
	chans <-chan ssh.NewChannel
}

// serveInput answers the server's global requests and channel opens as
// x/crypto's own Client would (refused: we serve nothing), in one goroutine
// instead of its two, discards the requests of an adopted socket channel
// (x/crypto's Dial starts a goroutine per channel for that), and when the
// connection ends from the far side (EOF,
// reset, a dead jump host) tears down the rest of the chain: it is also the
// connection's waiter. Keepalive is not served here, so that a reply stuck
// on a server that stopped reading cannot stop it from declaring the link
// dead.
func (c *Client) serveInput(in serverInput) {
	defer c.wg.Done()
	var chanReqs <-chan *ssh.Request // an adopted socket channel's requests
	for in.reqs != nil || in.chans != nil {
		adopt := c.adopt
		if chanReqs != nil {
			adopt = nil
		}
		select {
		case chanReqs = <-adopt:
		case r, ok := <-chanReqs:
			if !ok {
				chanReqs = nil
				continue
			}
			if r.WantReply {
				_ = r.Reply(false, nil) // as ssh.DiscardRequests does
			}
		case r, ok := <-in.reqs:
			if !ok {
				in.reqs = nil
				continue
			}
			_ = r.Reply(false, nil) // a keepalive from the server, say
		case nc, ok := <-in.chans:
			if !ok {
				in.chans = nil
				continue
			}
			_ = nc.Reject(ssh.UnknownChannelType, "unknown channel type: "+nc.ChannelType())
		}
	}
	err := c.ssh.Wait()
	if err == nil {
		err = errors.New("connection closed by remote host")
	}
	c.die(c.linkErr(err))
}

// die records why the client died (first reason wins), wakes everyone
// waiting on Done and closes the whole chain.
func (c *Client) die(err error) {
	c.dieOnce.Do(func() {
		c.errMu.Lock()
		c.err = err
		c.errMu.Unlock()
		c.stopLife()
		// Done closes before the chain does: a call that fails because
		// the chain closed then always finds the client dead, so a probe
		// cut off by a dead link says so instead of blaming the daemon.
		close(c.done)
		c.ka.stop() // after done: a keepalive re-arming now stops itself
		closeChain(c.chain)
	})
}

// close kills the client and waits for its goroutines to exit.
func (c *Client) close() {
	c.closeWith(fmt.Errorf("sshx: host %s: %w", c.name, ErrClosed))
}

// closeWith is close with the reason Err will report.
func (c *Client) closeWith(reason error) {
	c.die(reason)
	c.wgMu.Lock()
	c.closing = true
	c.wgMu.Unlock()
	c.wg.Wait()
}

// retire returns a channel closed once no Exec runs on c (at once when
// none does). The pool hands a retired client to no one, so the count only
// falls, apart from callers that got c before it was retired.
func (c *Client) retire() <-chan struct{} {
	c.execMu.Lock()
	defer c.execMu.Unlock()
	if c.idle == nil {
		c.idle = make(chan struct{})
		if c.execs == 0 {
			close(c.idle)
		}
	}
	return c.idle
}

// beginExec and endExec count the Exec calls in flight for retire.
func (c *Client) beginExec() {
	c.execMu.Lock()
	c.execs++
	c.execMu.Unlock()
}

func (c *Client) endExec() {
	c.execMu.Lock()
	defer c.execMu.Unlock()
	if c.execs--; c.execs == 0 && c.idle != nil {
		select {
		case <-c.idle:
		default:
			close(c.idle)
		}
	}
}

// goTracked runs f in a goroutine the client waits for on close; it
// returns false (and runs nothing) once close has begun.
func (c *Client) goTracked(f func()) bool {
	if !c.track() {
		return false
	}
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// track counts the calling goroutine among those close waits for (the
// caller then calls wg.Done); it returns false once close has begun.
func (c *Client) track() bool {
	c.wgMu.Lock()
	defer c.wgMu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Add(1)
	return true
}

// HandshakeLatency is how long the final hop took to connect: TCP (or the
// channel through the jump host), SSH handshake and authentication. The
// ssh check reports it.
func (c *Client) HandshakeLatency() time.Duration { return c.handshake }

// RTT is the round trip of the last answered keepalive (0 before the first
// reply): a cheap, continuously updated latency figure for the console.
func (c *Client) RTT() time.Duration { return time.Duration(c.rtt.Load()) }

// Done is closed when the connection is dead: keepalive failed, the server
// or a jump host went away, or the pool closed it.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err says why the client died; nil while it is alive.
func (c *Client) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// alive reports whether Done is still open.
func (c *Client) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// DialUnix opens a direct-streamlocal@openssh.com channel to the unix socket
// path on the host (the libvirt socket). The channel open is bounded by ctx;
// a channel that opens after ctx ended is closed. An open still unanswered
// at ctx's deadline marks the connection wedged (sshd answers every open at
// once, even to refuse it): the pool then retires it, so a host that never
// answers does not pile up a goroutine and a pending channel per round.
// The returned conn does not support deadlines; close it to unblock I/O.
func (c *Client) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	type opened struct {
		conn net.Conn
		err  error
	}
	got, abandon := make(chan opened), make(chan struct{})
	open := func() {
		conn, err := c.dialStreamLocal(path)
		select {
		case got <- opened{conn, err}:
		case <-abandon:
			if conn != nil {
				_ = conn.Close()
			}
		}
	}
	if !c.goTracked(open) {
		return nil, fmt.Errorf("sshx: host %s: open unix socket %s: %w", c.name, path, ErrClosed)
	}
	select {
	case r := <-got:
		if r.err != nil {
			return nil, fmt.Errorf("sshx: host %s: open unix socket %s: %w", c.name, path, r.err)
		}
		return r.conn, nil
	case <-ctx.Done():
		close(abandon)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			c.wedged.Store(true)
		}
		return nil, fmt.Errorf("sshx: host %s: open unix socket %s: %w (channel open unanswered; connection retired)",
			c.name, path, ctx.Err())
	}
}

// dialStreamLocal opens a direct-streamlocal@openssh.com channel as
// x/crypto's Client.Dial("unix") does, less its goroutine that drains the
// channel's stderr: an io.Copy into io.Discard, which holds an 8 KiB buffer
// for the channel's life (a quarter of the client's heap per host at
// 10,000 hosts). sshd sends no stderr on a socket channel; bytes a hostile
// server sends there anyway are held by x/crypto within the channel's
// window (2 MiB, our bound, not the server's) and then stall only this
// channel, whose calls time out and close it. The channel's requests are
// still discarded, as x/crypto requires: by serveInput for one channel at a
// time (the libvirt session's), by a goroutine of their own for another.
func (c *Client) dialStreamLocal(path string) (net.Conn, error) {
	msg := struct {
		SocketPath string
		Reserved0  string
		Reserved1  uint32
	}{SocketPath: path}
	ch, reqs, err := c.ssh.OpenChannel("direct-streamlocal@openssh.com", ssh.Marshal(&msg))
	if err != nil {
		return nil, err
	}
	select {
	case c.adopt <- reqs: // serveInput discards them: no goroutine of its own
	default: // serveInput has another channel's (a session reopening) or is busy
		go ssh.DiscardRequests(reqs)
	}
	return &chanConn{Channel: ch, addr: &net.UnixAddr{Name: path, Net: "unix"}}, nil
}

// chanConn is an SSH channel as a net.Conn without deadlines, as x/crypto's
// own; close it to unblock I/O.
type chanConn struct {
	ssh.Channel
	addr net.Addr
}

func (c *chanConn) LocalAddr() net.Addr              { return c.addr }
func (c *chanConn) RemoteAddr() net.Addr             { return c.addr }
func (c *chanConn) SetDeadline(time.Time) error      { return errNoDeadline }
func (c *chanConn) SetReadDeadline(time.Time) error  { return errNoDeadline }
func (c *chanConn) SetWriteDeadline(time.Time) error { return errNoDeadline }

var errNoDeadline = errors.New("sshx: channel: deadline not supported")

// usable reports whether the pool may hand c out: alive and not wedged.
func (c *Client) usable() bool { return c.alive() && !c.wedged.Load() }
