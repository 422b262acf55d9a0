package probes

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// libvirtAPI is the handful of libvirt procedures the probes use. It is
// satisfied by *libvirt.Libvirt and by the in-process fake in the tests;
// the simulated demo fleet implements exactly these procedures.
type libvirtAPI interface {
	ConnectGetLibVersion() (uint64, error)
	ConnectGetVersion() (uint64, error)
	ConnectGetHostname() (string, error)
	ConnectGetType() (string, error)
	ConnectListAllDomains(needResults int32, flags libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error)
	DomainGetState(dom libvirt.Domain, flags uint32) (int32, int32, error)
	DomainGetAutostart(dom libvirt.Domain) (int32, error)
	// Networks (vms check): the list, then each one's flags.
	ConnectListAllNetworks(needResults int32, flags libvirt.ConnectListAllNetworksFlags) ([]libvirt.Network, uint32, error)
	NetworkIsActive(net libvirt.Network) (int32, error)
	NetworkGetAutostart(net libvirt.Network) (int32, error)
	// LifecycleEvents registers for domain lifecycle events
	// (ConnectDomainEventCallbackRegisterAny) while Run is active. The
	// channel closes when the connection goes; see lvSession.subscribe.
	LifecycleEvents(ctx context.Context) (<-chan libvirt.DomainEventLifecycleMsg, error)
	Disconnect() error
}

var _ libvirtAPI = (*libvirt.Libvirt)(nil)

// lvSession is one open libvirt connection to a host, reused across rounds.
// go-libvirt calls take no context, so every call runs in a goroutine owned
// by the session and is raced against its deadline; on a timeout the
// session kills its stream, which makes go-libvirt fail every pending call
// (ErrInterrupted) so no goroutine stays blocked on a hung daemon.
type lvSession struct {
	api    libvirtAPI
	remote Conn
	// kill closes the stream under go-libvirt; it is idempotent.
	kill func()
	// fault says why the stream was cut under go-libvirt (a malformed
	// reply), nil otherwise or when there is no stream (a fake).
	fault func() error
	// dialer is the stream's dialer (nil with a fake).
	dialer *lvDialer
	// dead is closed once the stream is closed or broken.
	dead <-chan struct{}
	// timedOut is set when a call outlived its deadline and the session
	// was killed for it: the probe that timed out has already said so.
	timedOut atomic.Bool

	mu      sync.Mutex
	closing bool
	calls   sync.WaitGroup
	// streamDone is closed when the stream's own goroutines have exited
	// (nil when there are none, as with a fake).
	streamDone <-chan struct{}

	// Facts that cannot change while the daemon keeps this connection.
	hvType, hostname string

	// ev holds the lifecycle-event subscription (libvirt_events.go).
	ev sessionEvents
}

// alive reports whether the session can still take calls.
func (s *lvSession) alive() bool {
	return !isClosed(s.dead) && !isClosed(s.remote.Done())
}

// start runs fn in a goroutine owned by the session; ok is false when the
// session no longer takes calls.
func (s *lvSession) start(fn func() error) (done <-chan error, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || !s.alive() {
		return nil, false
	}
	ch := make(chan error, 1)
	s.calls.Add(1)
	go func() {
		defer s.calls.Done()
		ch <- fn()
	}()
	return ch, true
}

// hostnameWait bounds how long opening a session waits for the daemon's
// host name before going on without it.
const hostnameWait = time.Second

// lookupHostname asks the daemon its host name, waiting at most wait.
// libvirt resolves the name (getaddrinfo), which stalls for seconds on a
// host with broken DNS, and a cosmetic fact must never make the hypervisor
// check miss its deadline; a late answer still lands for the next round.
// The call runs in a goroutine the session owns, so closing the session
// frees it.
func (s *lvSession) lookupHostname(ctx context.Context, wait time.Duration) {
	done, ok := s.start(func() error {
		name, err := s.api.ConnectGetHostname()
		if err == nil {
			s.mu.Lock()
			s.hostname = remote.CleanLine(name)
			s.mu.Unlock()
		}
		return err
	})
	if !ok {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// host is the daemon's host name, "" until (or unless) it answered.
func (s *lvSession) host() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hostname
}

// do runs fn under ctx (see call).
func (s *lvSession) do(ctx context.Context, what string, fn func() error) error {
	_, err := call(ctx, s, what, func(libvirtAPI) (struct{}, error) { return struct{}{}, fn() })
	return err
}

func wrapCall(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("probes: libvirt %s: %w", what, err)
}

// callErr is wrapCall for a call on s, with cause's substitution.
func (s *lvSession) callErr(what string, err error) error {
	return wrapCall(what, s.cause(err))
}

// cause is err, or for a call that failed because the pump cut a malformed
// reply (go-libvirt then says only "interrupted" or "closed"), that cause.
func (s *lvSession) cause(err error) error {
	if err != nil && s.fault != nil {
		if f := s.fault(); f != nil {
			return f
		}
	}
	return err
}

// close says goodbye to the daemon when it still answers, then shuts the
// session down; grace bounds each of the two steps.
func (s *lvSession) close(grace time.Duration) bool {
	t := time.NewTimer(grace)
	defer t.Stop()
	if done, ok := s.start(s.api.Disconnect); ok {
		select {
		case <-done:
		case <-t.C:
			t.Reset(grace)
		}
	}
	return s.shutdown(t.C)
}

// shutdown kills the stream and waits until the session's goroutines have
// exited or stop fires; it reports whether they all exited.
func (s *lvSession) shutdown(stop <-chan time.Time) bool {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.kill()
	s.ev.end()
	exited := make(chan struct{})
	go func() {
		s.calls.Wait()
		if s.streamDone != nil {
			<-s.streamDone
		}
		close(exited)
	}()
	select {
	case <-exited:
		return true
	case <-stop:
		return false
	}
}

// openLibvirt dials the host's libvirt socket through r and opens the
// configured URI with go-libvirt, all under ctx.
func openLibvirt(ctx context.Context, r Conn, h hosts.Host) (*lvSession, error) {
	d := &lvDialer{ctx: ctx, remote: r, path: h.LibvirtSocket,
		dead: make(chan struct{}), exited: make(chan struct{})}
	lv := libvirt.NewWithDialer(d)
	s := &lvSession{api: lv, remote: r, kill: d.kill, fault: d.fault, dialer: d, dead: d.dead, streamDone: d.exited}
	err := s.do(ctx, "connect "+h.LibvirtURI, func() error {
		return lv.ConnectToURI(libvirt.ConnectURI(h.LibvirtURI))
	})
	if err != nil {
		t := time.NewTimer(openGrace)
		defer t.Stop()
		s.shutdown(t.C)
		return nil, err
	}
	return s, nil
}

// openGrace bounds the clean-up of a failed open; the stream is already
// killed, so go-libvirt's goroutines end at once.
const openGrace = 2 * time.Second

// lvDialer is the socket.Dialer go-libvirt dials through: it opens the
// unix socket over the host's pooled SSH connection and hands go-libvirt a
// pumpConn, so that killing the session unblocks go-libvirt's reader at
// once even when the SSH channel itself is slow to close.
type lvDialer struct {
	ctx    context.Context
	remote Conn
	path   string

	mu       sync.Mutex
	conn     *pumpConn
	killed   bool
	dead     chan struct{} // closed when the stream is closed or broken
	deadOnce sync.Once
	exited   chan struct{} // closed when no pump goroutine runs any more
	exitOnce sync.Once
}

// Dial implements socket.Dialer. A session dials once; a second dial (or
// one after a kill) is refused.
func (d *lvDialer) Dial() (net.Conn, error) {
	raw, err := d.remote.DialUnix(d.ctx, d.path)
	if err != nil {
		d.markDead()
		return nil, fmt.Errorf("probes: dial libvirt socket %s: %w", d.path, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.killed || d.conn != nil {
		raw.Close()
		return nil, fmt.Errorf("probes: dial libvirt socket %s: %w", d.path, errLibvirtClosed)
	}
	d.conn = newPumpConn(raw, d.markDead, d.markExited)
	return d.conn, nil
}

func (d *lvDialer) markDead() { d.deadOnce.Do(func() { close(d.dead) }) }

// fault is why the pump cut the stream, or nil.
func (d *lvDialer) fault() error {
	d.mu.Lock()
	c := d.conn
	d.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.failure()
}
func (d *lvDialer) markExited() { d.exitOnce.Do(func() { close(d.exited) }) }

// kill closes the stream, or stops a dial still in flight from succeeding.
func (d *lvDialer) kill() {
	d.mu.Lock()
	d.killed = true
	c := d.conn
	d.mu.Unlock()
	d.markDead()
	if c == nil {
		d.markExited()
		return
	}
	c.Close()
}
