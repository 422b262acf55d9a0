package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// defaultConnectTimeout applies when a Target sets no ConnectTimeout.
const defaultConnectTimeout = 10 * time.Second

// connect dials t's jump chain hop by hop, then t itself, and returns a
// Client owning the whole chain. Each hop is checked against its own
// known_hosts for its own address.
func (p *Pool) connect(ctx context.Context, t Target) (*Client, error) {
	hops := append(slices.Clone(t.Jumps), t.Endpoint)
	timeout := t.ConnectTimeout
	if timeout <= 0 {
		timeout = defaultConnectTimeout
	}
	chain := make([]*ssh.Client, 0, len(hops))
	var via []string
	var first, h hop
	for i, e := range hops {
		var prev *ssh.Client
		if i > 0 {
			prev = chain[i-1]
		}
		var err error
		h, err = p.connectHop(ctx, prev, e, timeout)
		if err != nil {
			closeChain(chain)
			return nil, &DialError{Host: t.Name, Hop: e.Name, Address: e.addr(), Via: via, Err: err}
		}
		if i == 0 {
			first = h
		}
		chain = append(chain, clientOf(h.sc, h.in, i == len(hops)-1))
		via = append(via, e.Name)
	}
	return newClient(ctx, t.Name, chain, first.link, h.in, h.took, p.opts), nil
}

// hop is one SSH connection of a chain as connectHop made it.
type hop struct {
	sc   ssh.Conn
	in   serverInput   // what its server sends unasked
	took time.Duration // connect, handshake and authentication
	link *linkConn     // its TCP connection (the first hop's only)
}

// clientOf makes the *ssh.Client of one hop. x/crypto's NewClient starts
// three goroutines: one each for the server's global requests and channel
// opens, and one that waits for the connection's end to close the remote
// forwards. For the target (own) the Client's serveInput answers the
// server's input and is the connection's waiter, and hvconsole never asks
// for remote forwards (Listen), so the target's client is the bare struct
// over its connection: three goroutines fewer per host, 10,000 hosts'
// worth of stacks being ~40 MB. Its methods hvconsole calls (NewSession,
// Dial, DialContext, Close, Wait) use only the connection; HandleChannelOpen
// would return a closed channel. A jump hop keeps x/crypto's NewClient.
func clientOf(sc ssh.Conn, in serverInput, own bool) *ssh.Client {
	if !own {
		return ssh.NewClient(sc, in.chans, in.reqs)
	}
	return &ssh.Client{Conn: sc}
}

// closeChain closes clients innermost first.
func closeChain(chain []*ssh.Client) {
	for i := len(chain) - 1; i >= 0; i-- {
		_ = chain[i].Close()
	}
}

// addr is the endpoint's "host:port" (port 22 when unset).
func (e Endpoint) addr() string {
	port := e.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(e.Address, strconv.Itoa(port))
}

// connectHop opens one SSH connection to e, over TCP when prev is nil or
// through prev otherwise. Credentials are loaded (and a passphrase asked
// for) before a handshake slot is taken and before the deadline starts;
// ssh-agent gets half the connect timeout of its own.
func (p *Pool) connectHop(ctx context.Context, prev *ssh.Client, e Endpoint, timeout time.Duration) (hop, error) {
	if e.User == "" {
		return hop{}, fmt.Errorf("%w: no user configured", ErrAuth)
	}
	addr := e.addr()
	hk, err := newHostKeyChecker(p.knownHosts, e.KnownHosts, addr)
	if err != nil {
		return hop{}, err
	}
	// The agent may take at most half the hop's connect timeout (its
	// failure is then remembered), leaving the rest for the handshake.
	actx, cancel := context.WithTimeout(ctx, min(timeout/2, agentCallTimeout))
	signers, err := p.creds.signersFor(ctx, actx, e)
	cancel()
	if err != nil {
		return hop{}, err
	}
	release, err := p.acquire(ctx)
	if err != nil {
		return hop{}, err
	}
	defer release()

	start := time.Now()
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := p.transport(hctx, prev, addr)
	if err != nil {
		if ctx.Err() != nil {
			return hop{}, fmt.Errorf("sshx: connect: %w", ctx.Err())
		}
		return hop{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	cfg := &ssh.ClientConfig{
		User:              e.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: hk.algos,
		Timeout:           timeout,
	}
	sc, in, err := handshake(ctx, hctx, conn, addr, cfg, hk)
	if err != nil {
		return hop{}, err
	}
	link, _ := conn.(*linkConn)
	return hop{sc: sc, in: in, took: time.Since(start), link: link}, nil
}

// transport opens the byte stream to addr: TCP (a linkConn), or a
// direct-tcpip channel through the previous hop.
func (p *Pool) transport(ctx context.Context, prev *ssh.Client, addr string) (net.Conn, error) {
	if prev == nil {
		conn, err := p.opts.Dial(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return &linkConn{Conn: conn}, nil
	}
	return prev.DialContext(ctx, "tcp", addr)
}

// handshake runs the SSH handshake on conn under hctx's deadline and
// returns the connection and what its server sends unasked (to be served).
// ClientConfig.Timeout covers only the TCP connect, so a frozen sshd would
// hang here forever: a TCP conn gets SetDeadline, and since channel conns
// through a jump host do not support deadlines, a timer closes conn when
// hctx ends in every case.
func handshake(ctx, hctx context.Context, conn net.Conn, addr string, cfg *ssh.ClientConfig, hk *hostKeyChecker) (ssh.Conn, serverInput, error) {
	deadline, _ := hctx.Deadline()
	hasDeadline := conn.SetDeadline(deadline) == nil
	stop := context.AfterFunc(hctx, func() { _ = conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	fired := !stop()
	if err == nil && fired {
		_ = sc.Close()
		err = hctx.Err()
	}
	if err != nil {
		return nil, serverInput{}, classifyHandshake(ctx, hctx, err, hk)
	}
	if hasDeadline {
		if err := conn.SetDeadline(time.Time{}); err != nil {
			_ = sc.Close()
			return nil, serverInput{}, fmt.Errorf("sshx: clear handshake deadline: %w", err)
		}
	}
	return sc, serverInput{reqs: reqs, chans: chans}, nil
}

// classifyHandshake maps a handshake failure to our sentinel and typed
// errors: host key refusals first, then deadlines, then authentication
// (anything failing after the host key was accepted).
func classifyHandshake(ctx, hctx context.Context, err error, hk *hostKeyChecker) error {
	if errors.Is(err, ErrHostKey) {
		return err
	}
	if mismatch := hk.negotiationError(err); mismatch != nil {
		return mismatch
	}
	if ctx.Err() != nil {
		return fmt.Errorf("sshx: handshake: %w", ctx.Err())
	}
	// ETIMEDOUT: the kernel gave up on unacknowledged data (TCP_USER_TIMEOUT)
	if hctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) {
		return fmt.Errorf("%w: %w", ErrHandshakeTimeout, err)
	}
	if hk.verified.Load() {
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	return fmt.Errorf("sshx: handshake: %w", err)
}

// acquire takes a handshake slot, waiting no longer than ctx.
func (p *Pool) acquire(ctx context.Context) (func(), error) {
	select {
	case p.sem <- struct{}{}:
		return func() { <-p.sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sshx: waiting for a handshake slot: %w", ctx.Err())
	case <-p.closing:
		return nil, ErrClosed
	}
}
