package probes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
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
	remote Conn
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
	versions   *versionsRead // the versions last read, and on which session
	unitAt     int           // round of the last unit read
	apiDown    bool          // the libvirt API was silent last round
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
	r  Conn
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
	if !sameConn(p.st.remote, r) {
		p.st.remote, p.st.rounds = r, 0
		p.st.keyAt = p.s.now().Add(-firstKeyRecheckOffset(p.h.Name, p.s.keyRecheck()))
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

// sshResult rates a working connection: OK with the handshake latency and,
// once measured, the keepalive round trip.
func sshResult(h hosts.Host, r Conn, at time.Time) Result {
	sum := "reachable, handshake " + roundDur(r.HandshakeLatency())
	if rtt := r.RTT(); rtt > 0 {
		sum += ", rtt " + roundDur(rtt)
	}
	return newResult(h.Name, hosts.CheckSSH, OK, sum, "", nil, sshLatency(r), at)
}

// sshLatency is the best current latency figure for a connection.
func sshLatency(r Conn) time.Duration {
	if rtt := r.RTT(); rtt > 0 {
		return rtt
	}
	return r.HandshakeLatency()
}

// roundDur prints a latency at a useful precision ("48ms", "1.2ms").
func roundDur(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
