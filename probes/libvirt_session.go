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

// libvirtAPI is the subset of go-libvirt's *libvirt.Libvirt the probes
// use: the one interface every libvirt exchange goes through (see call),
// satisfied by go-libvirt and by the test doubles. The simulated demo
// fleet answers these procedures.
type libvirtAPI interface {
	ConnectToURI(uri libvirt.ConnectURI) error
	Disconnect() error
	// The hypervisor check and the session's facts.
	ConnectGetLibVersion() (uint64, error)
	ConnectGetVersion() (uint64, error)
	ConnectGetHostname() (string, error)
	ConnectGetType() (string, error)
	// The vms check: the autostart domains, then every domain with its
	// state (libvirt_domains.go); or, from a daemon without domain
	// statistics, the domains, then each one's state and flag.
	ConnectListAllDomains(needResults int32, flags libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error)
	ConnectGetAllDomainStats(doms []libvirt.Domain, stats uint32, flags uint32) ([]libvirt.DomainStatsRecord, error)
	DomainGetState(dom libvirt.Domain, flags uint32) (int32, int32, error)
	DomainGetAutostart(dom libvirt.Domain) (int32, error)
	// Networks (vms check): all, the active ones, the autostart ones.
	ConnectListAllNetworks(needResults int32, flags libvirt.ConnectListAllNetworksFlags) ([]libvirt.Network, uint32, error)
	// The resources check.
	NodeGetInfo() (rModel [32]int8, rMemory uint64, rCpus int32, rMhz int32, rNodes int32, rSockets int32, rCores int32, rThreads int32, err error)
	NodeGetMemoryStats(nparams int32, cellNum int32, flags uint32) ([]libvirt.NodeGetMemoryStats, int32, error)
	DomainGetInfo(dom libvirt.Domain) (rState uint8, rMaxMem uint64, rMemory uint64, rNrVirtCPU uint16, rCPUTime uint64, err error)
	// The storage check.
	ConnectListAllStoragePools(needResults int32, flags libvirt.ConnectListAllStoragePoolsFlags) ([]libvirt.StoragePool, uint32, error)
	StoragePoolGetInfo(pool libvirt.StoragePool) (rState uint8, rCapacity uint64, rAllocation uint64, rAvailable uint64, err error)
	StoragePoolGetAutostart(pool libvirt.StoragePool) (int32, error)
	// The security check (read-only; they answer on a read-only connection).
	ConnectGetCapabilities() (string, error)
	DomainGetXMLDesc(dom libvirt.Domain, flags libvirt.DomainXMLFlags) (string, error)
	// VM operations (vmaction.go).
	DomainLookupByName(name string) (libvirt.Domain, error)
	DomainCreate(dom libvirt.Domain) error
	DomainResume(dom libvirt.Domain) error
	DomainDestroy(dom libvirt.Domain) error
	// The L2 boot drill (drill_boot.go): its transient domain and the
	// guest agent's answer.
	DomainCreateXML(xmlDesc string, flags libvirt.DomainCreateFlags) (libvirt.Domain, error)
	QEMUDomainAgentCommand(dom libvirt.Domain, cmd string, timeout int32, flags uint32) (libvirt.OptString, error)
	// Domain lifecycle events while Run is active: the call registers,
	// the session's pump receives them (see lvSession.subscribe).
	ConnectDomainEventCallbackRegisterAny(eventID int32, dom libvirt.OptDomain) (int32, error)
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
	// perDomain is set once the daemon refused domain statistics: its
	// domains are read one by one (listVMs).
	perDomain atomic.Bool

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

// callErr wraps the error of a call on s, with cause's substitution.
func (s *lvSession) callErr(what string, err error) error {
	if err = s.cause(err); err == nil {
		return nil
	}
	return fmt.Errorf("probes: libvirt %s: %w", what, err)
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

// call runs fn on the session's API under ctx (see lvSession.start): the
// one way the probes call libvirt, since go-libvirt calls take no context.
// The result travels back over a channel, never through shared variables,
// so a call abandoned at its deadline writes nothing the caller reads.
func call[T any](ctx context.Context, s *lvSession, what string, fn func(libvirtAPI) (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	_, ok := s.start(func() error {
		v, err := fn(s.api)
		ch <- answer{v, err}
		return err
	})
	var zero T
	if !ok {
		return zero, s.callErr(what, errLibvirtClosed)
	}
	select {
	case a := <-ch:
		return a.v, s.callErr(what, a.err)
	case <-ctx.Done():
		s.timedOut.Store(true)
		s.kill()
		return zero, fmt.Errorf("probes: libvirt %s: %w (%w)", what, errCallTimeout, ctx.Err())
	}
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
	s := &lvSession{remote: r}
	d := &lvDialer{ctx: ctx, remote: r, path: h.LibvirtSocket, events: &s.ev,
		dead: make(chan struct{}), exited: make(chan struct{})}
	s.api, s.kill, s.fault, s.dialer, s.dead, s.streamDone = libvirt.NewWithDialer(d), d.kill, d.fault, d, d.dead, d.exited
	_, err := call(ctx, s, "connect "+h.LibvirtURI, func(api libvirtAPI) (struct{}, error) {
		return struct{}{}, api.ConnectToURI(libvirt.ConnectURI(h.LibvirtURI))
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
	events *sessionEvents // the session's, fed by the pump

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
	d.conn = newPumpConn(raw, d.events, d.markDead, d.markExited)
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
