// Package sshx is hvconsole's SSH transport: strict host key checking,
// key and agent authentication, jump chains, deadlines on every step, one
// pooled connection per host with keepalives, reconnect backoff and a bound
// on concurrent handshakes. It takes plain structs and knows nothing of the
// inventory format (package hosts builds Targets from its config).
package sshx

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"
)

// Endpoint is one SSH server to authenticate to: a target or a jump host.
type Endpoint struct {
	// Name identifies the endpoint in errors (inventory name or user@host:port).
	Name    string
	Address string
	Port    int // 0 means 22
	User    string
	// IdentityFiles are private key files, offered in order.
	IdentityFiles []string
	// UseAgent offers ssh-agent keys (SSH_AUTH_SOCK): only those matching
	// IdentityFiles when any are set, else all of them.
	UseAgent bool
	// KnownHosts files this endpoint's key is checked against (required).
	KnownHosts []string
}

// Target is one host to connect to, possibly behind jump hosts.
type Target struct {
	Endpoint
	// Jumps are the hops, outermost first; each is checked against its own
	// known_hosts for its own address.
	Jumps []Endpoint
	// ConnectTimeout bounds TCP connect plus SSH handshake, per hop
	// (default 10s).
	ConnectTimeout time.Duration
}

// Options configure a Pool. Zero values get defaults from NewPool.
type Options struct {
	// KeepaliveInterval between keepalive@openssh.com requests (default
	// 1s); a link is dead after 3 intervals without a reply.
	KeepaliveInterval time.Duration
	// TCPKeepalive is the kernel's keepalive on each direct TCP connection
	// (default 1s; negative turns it off): a probe after TCPKeepalive of
	// silence and one per TCPKeepalive after it; the connection ends, and
	// the client dies of ErrKeepalive, when 6 go unanswered or data stays
	// unacknowledged as long (TCP_USER_TIMEOUT). It costs the process
	// nothing, so KeepaliveInterval may be long; a target behind jump
	// hosts, whose last link the kernel does not probe, gets SSH
	// keepalives at this cadence when it is shorter. Only the default Dial
	// sets it.
	TCPKeepalive time.Duration
	// MaxHandshakes bounds concurrent new connections (default 8): each
	// costs the server ~50 ms of CPU and a burst makes some time out.
	MaxHandshakes int
	// Passphrase returns the passphrase of an encrypted identity file, e.g.
	// by asking on the terminal. Nil: encrypted keys fail with
	// ErrPassphraseRequired naming the file.
	Passphrase func(keyFile string) ([]byte, error)
	// BackoffMin and BackoffMax bound the reconnect delay after failures
	// (defaults 1s and 60s); it doubles per failure, with full jitter.
	BackoffMin, BackoffMax time.Duration
	// RetireGrace bounds how long a connection dropped by Reconnect stays
	// open for the commands already running on it (default 2m, beyond an
	// action's default 60s command deadline): a restart in flight is not
	// cut off because a probe on the same connection timed out.
	RetireGrace time.Duration
	// MaxOutput caps stdout and stderr of each Exec (default 1 MiB).
	MaxOutput int
	// Dial opens network connections: TCP to hosts, unix to the agent.
	// Default: a net.Dialer with TCPKeepalive (tcpDialer). Tests swap it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Getenv reads the environment (SSH_AUTH_SOCK). Default: os.Getenv.
	Getenv func(string) string
}

func (o Options) withDefaults() Options {
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = time.Second
	}
	if o.TCPKeepalive == 0 {
		o.TCPKeepalive = time.Second
	}
	if o.MaxHandshakes <= 0 {
		o.MaxHandshakes = 8
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(60*time.Second, o.BackoffMin)
	}
	if o.RetireGrace <= 0 {
		o.RetireGrace = 2 * time.Minute
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = 1 << 20
	}
	if o.Dial == nil {
		o.Dial = tcpDialer(o.TCPKeepalive)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	return o
}

// Pool holds one SSH connection per host name, shared by every caller. It
// dials on demand, shares a dial among concurrent callers, backs off after
// failures, and owns every goroutine it starts until Close.
type Pool struct {
	opts       Options
	creds      *credentials
	knownHosts *knownHostsCache // every known_hosts file, parsed once
	sem        chan struct{}
	closing    chan struct{}

	mu       sync.Mutex
	closed   bool
	entries  map[string]*entry
	dials    sync.WaitGroup
	retiring sync.WaitGroup // closeWhenIdle goroutines
}

// entry is one host's slot: its live client, the dial in flight, and the
// backoff state after failures.
type entry struct {
	client   *Client
	dial     *dialCall
	failures int
	lastErr  error
	retryAt  time.Time
}

// dialCall is one shared dial; done is closed when client/err are set.
type dialCall struct {
	done   chan struct{}
	cancel context.CancelFunc
	client *Client
	err    error
}

// NewPool returns an empty pool; nothing is dialed until Get.
func NewPool(opts Options) *Pool {
	opts = opts.withDefaults()
	return &Pool{
		opts:       opts,
		creds:      newCredentials(opts),
		knownHosts: newKnownHostsCache(),
		sem:        make(chan struct{}, opts.MaxHandshakes),
		closing:    make(chan struct{}),
		entries:    map[string]*entry{},
	}
}

// Get returns the live client for t.Name, dialing when there is none or it
// died. Concurrent calls share one dial. After a failure, Get returns the
// last error (wrapped with ErrBackoff) without dialing until the backoff
// delay passes or Reconnect clears it. Get waits no longer than ctx; a dial
// it started keeps going (bounded by ConnectTimeout) for the next caller.
func (p *Pool) Get(ctx context.Context, t Target) (*Client, error) {
	call, client, stale, err := p.lookup(ctx, t)
	if stale != nil {
		stale.close()
	}
	if call == nil {
		return client, err
	}
	select {
	case <-call.done:
		return call.client, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("sshx: host %s: %w", t.Name, ctx.Err())
	}
}

// lookup decides under the lock: a live client, a backoff error, or a dial
// to wait for (joining one in flight or starting one). stale is a dead
// client to reap outside the lock; a wedged one is retired.
func (p *Pool) lookup(ctx context.Context, t Target) (call *dialCall, c *Client, stale *Client, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, nil, fmt.Errorf("sshx: host %s: %w", t.Name, ErrClosed)
	}
	e := p.entries[t.Name]
	if e == nil {
		e = &entry{}
		p.entries[t.Name] = e
	}
	if e.client != nil {
		switch {
		case e.client.usable():
			return nil, e.client, nil, nil
		case e.client.alive(): // wedged: its commands may still end
			p.retireLocked(e.client)
		default:
			stale = e.client
		}
		e.client = nil
	}
	if e.dial != nil {
		return e.dial, nil, stale, nil
	}
	if wait := time.Until(e.retryAt); wait > 0 {
		return nil, nil, stale, fmt.Errorf("%w (retry in %s after %d failures): %w",
			ErrBackoff, wait.Round(time.Millisecond), e.failures, e.lastErr)
	}
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.dial = &dialCall{done: make(chan struct{}), cancel: cancel}
	p.dials.Add(1)
	go p.runDial(dctx, e, e.dial, t)
	return e.dial, nil, stale, nil
}

// runDial performs one shared dial and records its outcome.
func (p *Pool) runDial(ctx context.Context, e *entry, call *dialCall, t Target) {
	defer p.dials.Done()
	defer call.cancel()
	client, err := p.connect(ctx, t)
	var orphan *Client
	p.mu.Lock()
	e.dial = nil
	switch {
	case err == nil && p.closed:
		// Close already swept the entries: this client is ours to close.
		orphan, client = client, nil
		err = fmt.Errorf("sshx: host %s: %w", t.Name, ErrClosed)
	case err == nil:
		e.client, e.failures, e.lastErr, e.retryAt = client, 0, nil, time.Time{}
	default:
		e.failures++
		e.lastErr = err
		e.retryAt = time.Now().Add(p.backoff(e.failures))
	}
	p.mu.Unlock()
	if orphan != nil {
		orphan.close()
	}
	call.client, call.err = client, err
	close(call.done)
}

// backoff is the delay after n consecutive failures: BackoffMin doubled per
// failure up to BackoffMax, drawn uniformly from [BackoffMin, that] (full
// jitter, floored so a failing host is never redialed at once).
func (p *Pool) backoff(n int) time.Duration {
	ceiling := p.opts.BackoffMin
	for i := 1; i < n && ceiling < p.opts.BackoffMax; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.opts.BackoffMax)
	span := ceiling - p.opts.BackoffMin
	if span <= 0 {
		return p.opts.BackoffMin
	}
	return p.opts.BackoffMin + rand.N(span+1)
}

// Reconnect drops name's current client and clears its backoff, so the next
// Get dials at once (the operator pressed "reconnect", a probe's command
// outlived its deadline, or the host left the inventory). The dropped
// client is retired, not killed: it is handed to no one again and closed
// once the commands already running on it end, or after RetireGrace, so a
// restart in flight on it is not torn down by a probe's timeout. A dead
// link still ends it sooner through the keepalive.
func (p *Pool) Reconnect(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entries[name]
	if e == nil {
		return
	}
	stale := e.client
	e.client = nil
	e.failures, e.lastErr, e.retryAt = 0, nil, time.Time{}
	if stale != nil {
		p.retireLocked(stale)
	}
}

// retireLocked hands c, just taken out of its entry under p.mu, to
// closeWhenIdle. The pool is not closed yet: Close clears every entry's
// client under p.mu before it waits for these goroutines.
func (p *Pool) retireLocked(c *Client) {
	p.retiring.Add(1)
	go p.closeWhenIdle(c)
}

// closeWhenIdle closes a retired client once no Exec runs on it, it died,
// RetireGrace passed or the pool closes.
func (p *Pool) closeWhenIdle(c *Client) {
	defer p.retiring.Done()
	grace := time.NewTimer(p.opts.RetireGrace)
	defer grace.Stop()
	select {
	case <-c.retire():
		c.close()
	case <-c.Done():
		c.close()
	case <-p.closing:
		c.close()
	case <-grace.C:
		c.closeWith(fmt.Errorf("sshx: host %s: %w: retired, commands still running after %s",
			c.name, ErrClosed, p.opts.RetireGrace))
	}
}

// Close closes every client, cancels dials in flight, drops the agent
// connection, and returns once every goroutine the pool started has exited.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.closing)
	var clients []*Client
	for _, e := range p.entries {
		if e.client != nil {
			clients = append(clients, e.client)
			e.client = nil
		}
		if e.dial != nil {
			e.dial.cancel()
		}
	}
	p.mu.Unlock()
	for _, c := range clients {
		c.close()
	}
	p.dials.Wait()
	p.retiring.Wait()
	p.creds.close()
	return nil
}
