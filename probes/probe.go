package probes

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hostState is what the scheduler remembers about a host between rounds.
type hostState struct {
	// busy admits one probe of the host at a time.
	busy chan struct{}
	// running is set while a probe of the host is in flight (Refresh drops).
	running atomic.Bool
	// refresh carries a pending Refresh to the host's prober in Run.
	refresh chan struct{}

	mu   sync.Mutex // guards sess against Close
	sess *lvSession

	// linkDown is set while the host's own SSH link is known down (its
	// ssh check CRIT, or its connection lost); hosts reached through it
	// as a jump host read it to name it (lostWhy).
	linkDown atomic.Bool

	// The rest is touched only by the probe holding busy.
	remote Remote
	rounds int       // rounds since the connection was made
	keyAt  time.Time // when the connection's host key was last checked
	// lastVMs is the last VM list read and when (see keepVMs).
	lastVMs   []VM
	lastVMsAt time.Time
	// connFailed is set while the host's connect fails: the next probe asks
	// the pool to dial at once instead of waiting out the pool's backoff,
	// so a host that answers again is OK within one probe interval (the
	// probe cadence already paces the dials).
	connFailed bool
	units      unitFacts
	unitAt     int  // round of the last unit read
	apiDown    bool // the libvirt API was silent last round
	kvm        *Result
	kvmAt      int // round of the cached kvm result
	// security is the cached security check, read on the kvm cadence
	// (config files and labels change rarely).
	security   *Result
	securityAt int
	// viaVirsh is set while sshd refuses the libvirt socket channel and
	// virsh answers instead; the tunnel is tried again every
	// virshRetryEvery rounds.
	viaVirsh bool
	// backups is the cached backups check, read on the host's backup
	// interval or when RefreshBackups set backupsDue. Under Run it is
	// written by the host's backups worker, hence the mutex.
	backupsMu  sync.Mutex
	backups    *backupRecord
	backupsDue atomic.Bool
	// backupsKick wakes the host's backups worker under Run.
	backupsKick chan struct{}
}

func newHostState() *hostState {
	return &hostState{busy: make(chan struct{}, 1), refresh: make(chan struct{}, 1), backupsKick: make(chan struct{}, 1)}
}

// hostProbe is one round's work on one host.
type hostProbe struct {
	s  *Scheduler
	h  hosts.Host
	st *hostState
	r  Remote
	// dropped is set when this probe dropped the connection itself (a
	// command outlived its deadline): its end is then no lost link.
	dropped bool
}

// checkOrder is the order of a host's checks after ssh, in every report.
var checkOrder = []string{hosts.CheckHypervisor, hosts.CheckVMs, hosts.CheckKVM,
	hosts.CheckResources, hosts.CheckStorage, hosts.CheckBackups, hosts.CheckSecurity}

// probeHost runs the host's configured checks once: connect, ask the open
// libvirt connection, then at most one remote exec for the facts that are
// due or that must explain a silent API.
func (s *Scheduler) probeHost(ctx context.Context, h hosts.Host, st *hostState) HostReport {
	rep := HostReport{Host: h.Name, Address: h.Address, Tags: slices.Clone(h.Tags), Kind: h.Hypervisor}
	p := &hostProbe{s: s, h: h, st: st}
	ssh := p.connect(ctx)
	why := SummaryUnreachable
	if p.r != nil {
		if refused, bad := p.recheckKey(ctx); bad {
			ssh, p.r, why = refused, nil, SummaryKeyRefused
		}
	}
	rep.Checks = append(rep.Checks, ssh)
	st.linkDown.Store(ssh.Status == CRIT)
	if p.r == nil {
		rep.Checks = append(rep.Checks, dependents(h, why, s.now())...)
		return p.keepVMs(finish(rep, s.now()))
	}
	rep.SSHLatency = sshLatency(p.r)
	p.st.rounds++
	rep = KindOf(h).probe(ctx, p, rep)
	if isClosed(p.r.Done()) && !p.dropped && ctx.Err() == nil {
		st.linkDown.Store(true)
		return p.keepVMs(linkLost(rep, h, s.lostWhy(h), s.now()))
	}
	return p.keepVMs(finish(rep, s.now()))
}

// linkLost is the report of a probe whose SSH connection died under it (a
// partition or a hung sshd, found by the keepalive): the checks that failed
// with it failed for that reason, not because the hypervisor stopped, so
// the host is reported unreachable, as a probe that cannot connect is; why
// is the ssh check's summary (lostWhy).
func linkLost(rep HostReport, h hosts.Host, why string, at time.Time) HostReport {
	rep.Checks = append([]Result{newResult(h.Name, hosts.CheckSSH, CRIT, why, "", nil, 0, at)},
		dependents(h, SummaryUnreachable, at)...)
	rep.VMs, rep.Version, rep.SSHLatency = nil, "", 0
	return finish(rep, at)
}

// probeLibvirt runs a libvirt host's checks after ssh: ask the open
// libvirt connection, then at most one remote exec for the facts that are
// due or that must explain a silent API.
func (p *hostProbe) probeLibvirt(ctx context.Context, rep HostReport) HostReport {
	h, st, s := p.h, p.st, p.s
	hv, vms, nets := p.askLibvirt(ctx)
	kvm := p.runCommands(ctx, hv)
	rep.Version = hv.reportVersion()
	for _, c := range checkOrder {
		switch {
		case !h.HasCheck(c):
		case c == hosts.CheckResources:
			res, figures := p.resources(ctx)
			rep.Checks, rep.Resources = append(rep.Checks, res), figures
		case c == hosts.CheckStorage:
			res, pools := p.storage(ctx)
			rep.Checks, rep.Pools = append(rep.Checks, res), pools
		case c == hosts.CheckBackups:
			if b, specs, ok := p.backups(ctx); ok {
				rep.Checks, rep.Backups = append(rep.Checks, b), specs
			}
		case c == hosts.CheckHypervisor:
			rep.Checks = append(rep.Checks, hypervisorResult(h, hv, st.units, s.now()))
		case c == hosts.CheckVMs:
			rep.Checks = append(rep.Checks, withNetworks(vmsResult(h, vms, s.now()), nets))
			rep.VMs = rateVMs(vms.vms)
		case c == hosts.CheckKVM:
			rep.Checks = append(rep.Checks, kvm)
		case c == hosts.CheckSecurity:
			rep.Checks = append(rep.Checks, p.security(ctx))
		}
	}
	return rep
}

func finish(rep HostReport, at time.Time) HostReport {
	rep.Status = WorstOf(rep.Checks)
	rep.Time = at
	return rep
}

// dependents reports every configured check after ssh as UNKNOWN with sum.
func dependents(h hosts.Host, sum string, at time.Time) []Result {
	var out []Result
	for _, c := range checkOrder {
		if h.HasCheck(c) && KindOf(h).Applies(c) {
			out = append(out, newResult(h.Name, c, UNKNOWN, sum, "", nil, 0, at))
		}
	}
	return out
}

// connect gets the host's connection under the ssh check's deadline and
// resets what is remembered per connection when the pool gave a new one.
func (p *hostProbe) connect(ctx context.Context) Result {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout(p.h))
	defer cancel()
	start := time.Now()
	if p.st.connFailed {
		p.s.tr.Reconnect(p.h.Name)
	}
	r, err := p.s.tr.Connect(cctx, p.h)
	p.st.connFailed = err != nil || r == nil
	if err == nil && r == nil {
		err = errors.New("probes: transport returned no connection")
	}
	if err != nil {
		p.st.remote = nil
		p.s.retire(p.st)
		st, sum := p.s.classify(err)
		if ctx.Err() != nil {
			st, sum = UNKNOWN, "probe cancelled"
		}
		err = fmt.Errorf("probes: connect %s: %w", p.h.Name, err)
		return newResult(p.h.Name, hosts.CheckSSH, st, sum, "", err, time.Since(start), p.s.now())
	}
	if !sameRemote(p.st.remote, r) {
		p.st.remote, p.st.rounds, p.st.keyAt = r, 0, p.s.now()
		p.st.units, p.st.kvm, p.st.security = unitFacts{}, nil, nil
	}
	p.r = r
	return sshResult(p.h, r, p.s.now())
}

// connectTimeout is the ssh check's deadline: each hop may take the whole
// connect timeout, and never less than the probe timeout.
func connectTimeout(h hosts.Host) time.Duration {
	return max(orDefault(h.ConnectTimeout, defaultConnectTimeout)*time.Duration(len(h.Jump)+1),
		probeTimeout(h))
}

func probeTimeout(h hosts.Host) time.Duration { return orDefault(h.ProbeTimeout, defaultProbeTimeout) }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// askLibvirt asks the open libvirt connection for the daemon's versions,
// the domains and the networks, each check under its own deadline.
func (p *hostProbe) askLibvirt(ctx context.Context) (hvFacts, vmFacts, netFacts) {
	var hv hvFacts
	var vms vmFacts
	var nets netFacts
	if !p.h.HasCheck(hosts.CheckHypervisor) && !p.h.HasCheck(hosts.CheckVMs) {
		return hv, vms, nets
	}
	if p.st.viaVirsh && p.st.rounds%virshRetryEvery != 0 {
		return p.askVirsh(ctx)
	}
	if p.h.HasCheck(hosts.CheckHypervisor) {
		hctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
		start := time.Now()
		hv = p.versions(hctx)
		hv.latency = time.Since(start)
		cancel()
	}
	if p.h.HasCheck(hosts.CheckVMs) {
		vctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
		start := time.Now()
		vms, nets = p.domains(vctx, hv.err)
		vms.latency = time.Since(start)
		cancel()
	}
	if openErr := cmp.Or(hv.err, vms.err); IsChannelRefused(openErr) {
		if fhv, fvms, ok := p.fallback(ctx, openErr); ok {
			return fhv, fvms, netFacts{}
		}
	}
	p.st.viaVirsh = false
	return hv, vms, nets
}

// session returns the host's open libvirt connection, opening one when
// there is none or the old one is broken or rode an older SSH connection.
func (p *hostProbe) session(ctx context.Context) (*lvSession, error) {
	p.st.mu.Lock()
	sess := p.st.sess
	p.st.mu.Unlock()
	if sess != nil && sess.alive() && sameRemote(sess.remote, p.r) {
		return sess, nil
	}
	p.s.retire(p.st)
	sess, err := p.s.openSession(ctx, p.r, p.h)
	if err != nil {
		return nil, err
	}
	facts, err := call(ctx, sess, "identify", identify)
	if err != nil {
		p.s.retireSession(sess)
		return nil, err
	}
	sess.hvType = remote.CleanLine(facts.hvType)
	sess.lookupHostname(ctx, hostnameWait)
	// Events are for Run's push updates; a one-off round does not need them.
	if p.s.started.Load() {
		if err := sess.subscribe(ctx); err != nil {
			p.s.retireSession(sess)
			return nil, err
		}
	}
	p.st.mu.Lock()
	p.st.sess = sess
	p.st.mu.Unlock()
	return sess, nil
}

// identify reads the facts that hold for the life of a connection. A
// daemon that answers with an error here still answers, so errors that are
// libvirt's own leave the fields empty instead of failing the open.
func identify(api libvirtAPI) (hvFacts, error) {
	var f hvFacts
	var err error
	var le libvirt.Error
	if f.hvType, err = api.ConnectGetType(); err != nil && !errors.As(err, &le) {
		return f, err
	}
	return f, nil
}

func (p *hostProbe) versions(ctx context.Context) hvFacts {
	sess, err := p.session(ctx)
	if err != nil {
		return hvFacts{err: err}
	}
	f, err := call(ctx, sess, "version", func(api libvirtAPI) (hvFacts, error) {
		var f hvFacts
		var err error
		if f.libVer, err = api.ConnectGetLibVersion(); err != nil {
			return f, err
		}
		f.hvVer, err = api.ConnectGetVersion()
		return f, err
	})
	f.err, f.answered, f.hvType, f.hostname = err, err == nil, sess.hvType, sess.host()
	return f
}

// domains lists every domain with its state, reason and autostart flag,
// and the virtual networks. When the hypervisor check already found the
// API silent it is not asked again this round.
func (p *hostProbe) domains(ctx context.Context, hvErr error) (vmFacts, netFacts) {
	if hvErr != nil {
		return vmFacts{err: hvErr}, netFacts{}
	}
	sess, err := p.session(ctx)
	if err != nil {
		return vmFacts{err: err}, netFacts{}
	}
	return readVMs(ctx, sess)
}

// readVMs reads the domains and networks of an open session under ctx.
func readVMs(ctx context.Context, sess *lvSession) (vmFacts, netFacts) {
	type both struct {
		vms  vmFacts
		nets netFacts
	}
	b, err := call(ctx, sess, "list domains", func(api libvirtAPI) (both, error) {
		vms, err := listVMs(api)
		if err != nil {
			return both{}, err
		}
		return both{vms, listNetworks(api)}, nil
	})
	if err != nil {
		return vmFacts{err: err}, netFacts{}
	}
	b.nets.err = sess.cause(b.nets.err)
	slices.SortFunc(b.vms.vms, func(a, b VM) int { return strings.Compare(a.Name, b.Name) })
	return b.vms, b.nets
}

// listVMs reads the domains; one that vanishes between the list and its
// state (undefined meanwhile) is skipped.
func listVMs(api libvirtAPI) (vmFacts, error) {
	doms, _, err := api.ConnectListAllDomains(1, 0)
	if err != nil {
		return vmFacts{}, err
	}
	f := vmFacts{capped: len(doms) > remote.MaxDomains}
	doms = doms[:min(len(doms), remote.MaxDomains)]
	f.vms = make([]VM, 0, len(doms))
	for _, d := range doms {
		state, rsn, err := api.DomainGetState(d, 0)
		if libvirt.IsNotFound(err) {
			continue
		}
		if err != nil {
			return vmFacts{}, fmt.Errorf("state of %s: %w", remote.CleanLine(d.Name), err)
		}
		auto, err := api.DomainGetAutostart(d)
		if libvirt.IsNotFound(err) {
			continue
		}
		if err != nil {
			return vmFacts{}, fmt.Errorf("autostart of %s: %w", remote.CleanLine(d.Name), err)
		}
		sw, rw := StateWords(state, rsn)
		f.vms = append(f.vms, VM{Name: remote.CleanLine(d.Name), State: sw, Reason: rw, Autostart: auto != 0})
	}
	return f, nil
}

// call runs fn on the session's API under ctx (see lvSession.start): the
// result travels back over a channel, never through shared variables.
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
		return zero, s.callErr(what, ErrLibvirtClosed)
	}
	select {
	case a := <-ch:
		return a.v, s.callErr(what, a.err)
	case <-ctx.Done():
		s.timedOut.Store(true)
		s.kill()
		return zero, fmt.Errorf("probes: libvirt %s: %w (%w)", what, ErrCallTimeout, ctx.Err())
	}
}
