package probes

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// fakeDom is one domain of a fake libvirt world.
type fakeDom struct {
	name          string
	state, reason int32
	autostart     bool
}

// fakeLibvirt answers the libvirt procedures from fields. When hang is
// set every call blocks until its session is killed, like a frozen daemon.
type fakeLibvirt struct {
	mu       sync.Mutex
	libVer   uint64
	hvVer    uint64
	hvType   string
	hostname string
	doms     []fakeDom
	hang     bool
	// slowHostname holds ConnectGetHostname until it is closed or the
	// session dies, like a daemon whose DNS lookup stalls.
	slowHostname chan struct{}
	callErr      error // returned by every version/list call when set
	noStats      bool  // ConnectGetAllDomainStats is refused as unsupported
	calls        atomic.Int64
	inflight     atomic.Int64
	entered      chan struct{} // receives once per hanging call (if non-nil)
	left         chan struct{} // receives once per hanging call freed (if non-nil)
	// Networks and lifecycle events: see events_fake_test.go.
	nets      []fakeNet
	netErr    error // returned by ConnectListAllNetworks when set
	eventsErr error // returned by ConnectDomainEventCallbackRegisterAny when set
	subs      []fakeSub
}

func newFakeLibvirt() *fakeLibvirt {
	return &fakeLibvirt{libVer: 9000000, hvVer: 8002000, hvType: "QEMU", hostname: "hv1"}
}

// fakeSession is the shared fake seen from one session: bound to that
// session's kill signal, its methods answer the procedures of the vms and
// hypervisor checks and of the events (libvirt_events_fake_test.go). The
// session talks to it through a stubLibvirt (stub); the procedures it does
// not answer are the double's errNoStub.
type fakeSession struct {
	f    *fakeLibvirt
	dead <-chan struct{}
	ev   *sessionEvents // the session's: where emit delivers its events
}

// stub hands the session's answers to the libvirt double.
func (a fakeSession) stub() *stubLibvirt {
	return &stubLibvirt{
		ConnectGetLibVersionFn:                  a.ConnectGetLibVersion,
		ConnectGetVersionFn:                     a.ConnectGetVersion,
		ConnectGetHostnameFn:                    a.ConnectGetHostname,
		ConnectGetTypeFn:                        a.ConnectGetType,
		ConnectListAllDomainsFn:                 a.ConnectListAllDomains,
		ConnectGetAllDomainStatsFn:              a.ConnectGetAllDomainStats,
		DomainGetStateFn:                        a.DomainGetState,
		DomainGetAutostartFn:                    a.DomainGetAutostart,
		ConnectListAllNetworksFn:                a.ConnectListAllNetworks,
		ConnectDomainEventCallbackRegisterAnyFn: a.ConnectDomainEventCallbackRegisterAny,
	}
}

func (a fakeSession) enter() error {
	a.f.calls.Add(1)
	a.f.mu.Lock()
	hang, err := a.f.hang, a.f.callErr
	a.f.mu.Unlock()
	if !hang {
		return err
	}
	a.f.inflight.Add(1)
	if a.f.entered != nil {
		a.f.entered <- struct{}{}
	}
	<-a.dead
	a.f.inflight.Add(-1)
	if a.f.left != nil {
		a.f.left <- struct{}{}
	}
	return libvirt.ErrInterrupted
}

func (a fakeSession) ConnectGetLibVersion() (uint64, error) {
	if err := a.enter(); err != nil {
		return 0, err
	}
	return a.f.libVer, nil
}

func (a fakeSession) ConnectGetVersion() (uint64, error) {
	if err := a.enter(); err != nil {
		return 0, err
	}
	return a.f.hvVer, nil
}

func (a fakeSession) ConnectGetHostname() (string, error) {
	if err := a.enter(); err != nil {
		return "", err
	}
	if a.f.slowHostname != nil {
		select {
		case <-a.f.slowHostname:
		case <-a.dead:
			return "", libvirt.ErrInterrupted
		}
	}
	return a.f.hostname, nil
}

func (a fakeSession) ConnectGetType() (string, error) {
	if err := a.enter(); err != nil {
		return "", err
	}
	return a.f.hvType, nil
}

func (a fakeSession) ConnectListAllDomains(need int32, flags libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error) {
	if err := a.enter(); err != nil {
		return nil, 0, err
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	var out []libvirt.Domain
	for i, d := range a.f.doms {
		if flags&libvirt.ConnectListDomainsAutostart == 0 || d.autostart {
			out = append(out, libvirt.Domain{Name: d.name, ID: int32(i)})
		}
	}
	return out, uint32(len(out)), nil
}

// ConnectGetAllDomainStats answers the state group as libvirtd does:
// state.state and state.reason as ints, for every domain.
func (a fakeSession) ConnectGetAllDomainStats(doms []libvirt.Domain, stats, flags uint32) ([]libvirt.DomainStatsRecord, error) {
	if err := a.enter(); err != nil {
		return nil, err
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if a.f.noStats {
		return nil, libvirt.Error{Code: uint32(libvirt.ErrNoSupport), Message: "this function is not supported"}
	}
	out := make([]libvirt.DomainStatsRecord, len(a.f.doms))
	for i, d := range a.f.doms {
		out[i] = libvirt.DomainStatsRecord{Dom: libvirt.Domain{Name: d.name, ID: int32(i)}, Params: []libvirt.TypedParam{
			{Field: "state.state", Value: *libvirt.NewTypedParamValueInt(d.state)},
			{Field: "state.reason", Value: *libvirt.NewTypedParamValueInt(d.reason)},
		}}
	}
	return out, nil
}

func (a fakeSession) dom(d libvirt.Domain) (fakeDom, error) {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	for _, fd := range a.f.doms {
		if fd.name == d.Name {
			return fd, nil
		}
	}
	return fakeDom{}, libvirt.Error{Code: uint32(libvirt.ErrNoDomain), Message: "no domain"}
}

func (a fakeSession) DomainGetState(d libvirt.Domain, flags uint32) (int32, int32, error) {
	if err := a.enter(); err != nil {
		return 0, 0, err
	}
	fd, err := a.dom(d)
	return fd.state, fd.reason, err
}

func (a fakeSession) DomainGetAutostart(d libvirt.Domain) (int32, error) {
	if err := a.enter(); err != nil {
		return 0, err
	}
	fd, err := a.dom(d)
	if fd.autostart {
		return 1, err
	}
	return 0, err
}

// fakeHost is one host of the fake fleet.
type fakeHost struct {
	mu          sync.Mutex
	connectErr  error
	hangConnect bool // Connect blocks until its ctx ends
	openErr     error
	dialErr     error // when set, every libvirt socket dial fails with it
	// dialDying is how many dials first connect to a socket that closes
	// at once (a daemon in the middle of its exit), before dialErr.
	dialDying int
	lv        *fakeLibvirt
	units     []string // state words answered by systemctl is-active
	timesOut  string   // answered to the unit-times command ("" = not found)
	kvmOut    string
	execOut   string // when set, answered verbatim to every exec
	hangExec  bool
	// backupsGate, when set, holds every backup listing exec until it is
	// closed (or the exec's ctx ends).
	backupsGate chan struct{}
	remote      *fakeRemote
	// daemon, when set, serves each libvirt socket dial over an in-memory
	// stream, so the production go-libvirt client talks to it.
	daemon func(net.Conn)

	connects, opens, execs, reconnects atomic.Int64
	connectEntered                     chan struct{}
	connectReturned                    atomic.Bool
	lastScript                         atomic.Value // string
}

func healthyHost() *fakeHost {
	return &fakeHost{lv: newFakeLibvirt(), units: []string{"active"},
		kvmOut: "kvm_dev=present\nkvm_access=rw\nkvm_module=kvm_intel\nkvm_module=kvm\n"}
}

// fakeTransport serves fake hosts by name: the tests' stubTransport with
// the fleet's Connect and Reconnect.
type fakeTransport struct {
	*stubTransport
	hosts map[string]*fakeHost
}

func newFakeTransport() *fakeTransport {
	t := &fakeTransport{hosts: map[string]*fakeHost{}}
	t.stubTransport = &stubTransport{ConnectFn: t.connect, ReconnectFn: t.reconnect}
	return t
}

func (t *fakeTransport) connect(ctx context.Context, h hosts.Host) (Conn, error) {
	fh := t.hosts[h.Name]
	fh.connects.Add(1)
	fh.mu.Lock()
	hang, err := fh.hangConnect, fh.connectErr
	fh.mu.Unlock()
	if hang {
		if fh.connectEntered != nil {
			fh.connectEntered <- struct{}{}
		}
		<-ctx.Done()
		fh.connectReturned.Store(true)
		return nil, fmt.Errorf("fake dial: %w", ctx.Err())
	}
	if err != nil {
		return nil, err
	}
	fh.mu.Lock()
	defer fh.mu.Unlock()
	if fh.remote == nil || isClosed(fh.remote.DoneCh) {
		fh.remote = newFakeRemote(fh, h.Units)
	}
	return fh.remote, nil
}

func (t *fakeTransport) reconnect(host string) {
	fh := t.hosts[host]
	fh.reconnects.Add(1)
	fh.mu.Lock()
	defer fh.mu.Unlock()
	if fh.remote != nil {
		fh.remote.drop()
	}
}

// fakeRemote is one connection to a fake host: the tests' stubConn
// answering the exact command strings of hosts/remote from the host.
type fakeRemote struct {
	stubConn
	host  *fakeHost
	units []string
	once  sync.Once
}

func newFakeRemote(fh *fakeHost, units []string) *fakeRemote {
	r := &fakeRemote{host: fh, units: units}
	r.stubConn = stubConn{ExecFn: r.exec, DialUnixFn: r.dialUnix, Handshake: 40 * time.Millisecond,
		Trip: 2 * time.Millisecond, DoneCh: make(chan struct{})}
	return r
}

func (r *fakeRemote) drop() { r.once.Do(func() { close(r.DoneCh) }) }

func (r *fakeRemote) exec(ctx context.Context, cmd string) (ExecResult, error) {
	fh := r.host
	fh.execs.Add(1)
	fh.lastScript.Store(cmd)
	fh.mu.Lock()
	hang, verbatim, gate := fh.hangExec, fh.execOut, fh.backupsGate
	fh.mu.Unlock()
	boundary, cmds, ok := remote.UnBatch(cmd)
	if gate != nil && strings.Contains(cmd, "stat -c") {
		select {
		case <-gate:
		case <-ctx.Done():
			return ExecResult{}, fmt.Errorf("fake exec: %w", ctx.Err())
		}
		return ExecResult{Stdout: []byte(remote.BatchFrame(boundary, 0, "", 0))}, nil
	}
	if hang {
		<-ctx.Done()
		return ExecResult{}, fmt.Errorf("fake exec: %w", ctx.Err())
	}
	if verbatim != "" {
		// "@@hv:" in a test's verbatim answer stands for this batch's tag.
		return ExecResult{Stdout: []byte(strings.ReplaceAll(verbatim, "@@hv:", "@@hv:"+boundary+":"))}, nil
	}
	if !ok {
		out, rc := r.answer(cmd)
		return ExecResult{Stdout: []byte(out), ExitCode: rc}, nil
	}
	var b strings.Builder
	for i, c := range cmds {
		out, rc := r.answer(c)
		b.WriteString(remote.BatchFrame(boundary, i, out, rc))
	}
	return ExecResult{Stdout: []byte(b.String())}, nil
}

func (r *fakeRemote) answer(cmd string) (string, int) {
	fh := r.host
	fh.mu.Lock()
	defer fh.mu.Unlock()
	unitsCmd, _ := remote.UnitsActiveCommand(r.units)
	timesCmd, _ := remote.UnitTimesCommand(r.units)
	switch cmd {
	case unitsCmd:
		rc := 0
		for _, u := range fh.units {
			if u != "active" {
				rc = 3
			}
		}
		return strings.Join(fh.units, "\n") + "\n", rc
	case remote.KVMFactsCommand:
		return fh.kvmOut, 0
	case timesCmd:
		if fh.timesOut != "" {
			return fh.timesOut, 0
		}
	}
	return "sh: command not found\n", 127
}

func (r *fakeRemote) dialUnix(ctx context.Context, path string) (net.Conn, error) {
	r.host.mu.Lock()
	err, dying := r.host.dialErr, r.host.dialDying > 0
	if dying {
		r.host.dialDying--
	}
	r.host.mu.Unlock()
	if dying {
		client, server := net.Pipe()
		server.Close()
		return client, nil
	}
	if err != nil {
		return nil, err
	}
	if r.host.daemon == nil {
		return nil, fmt.Errorf("fake remote: no unix sockets")
	}
	client, server := net.Pipe()
	go r.host.daemon(server)
	return client, nil
}

// fakeOpen is the Scheduler.open used with fake hosts.
func (t *fakeTransport) fakeOpen(ctx context.Context, r Conn, h hosts.Host) (*lvSession, error) {
	fh := t.hosts[h.Name]
	fh.opens.Add(1)
	fh.mu.Lock()
	err := fh.openErr
	fh.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("probes: dial libvirt socket: %w", err)
	}
	dead := make(chan struct{})
	var once sync.Once
	s := &lvSession{remote: r, dead: dead, kill: func() { once.Do(func() { close(dead) }) }}
	s.api = fakeSession{f: fh.lv, dead: dead, ev: &s.ev}.stub()
	return s, nil
}

// testHost is an inventory host with every libvirt check and short deadlines.
func testHost(name string) hosts.Host {
	return hosts.Host{
		Name: name, Address: "127.77.0.5", Port: 22, Tags: []string{"lab"},
		User: "root", ConnectTimeout: 2 * time.Second, ProbeTimeout: 2 * time.Second,
		ProbeInterval: time.Hour, Hypervisor: hosts.KindLibvirt,
		LibvirtSocket: "/run/libvirt/libvirt-sock", LibvirtURI: "qemu:///system",
		Units:  []string{"libvirtd"},
		Checks: []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs, hosts.CheckKVM},
	}
}

// fleet builds a config, a fake transport and a scheduler over named hosts.
func fleet(names []string, fhs []*fakeHost, opts SchedulerOptions) (*hosts.Config, *fakeTransport, *Scheduler) {
	cfg := &hosts.Config{Concurrency: 16}
	tr := newFakeTransport()
	for i, n := range names {
		cfg.Hosts = append(cfg.Hosts, testHost(n))
		tr.hosts[n] = fhs[i]
	}
	s := NewScheduler(cfg, tr, opts)
	s.open = tr.fakeOpen
	return cfg, tr, s
}
