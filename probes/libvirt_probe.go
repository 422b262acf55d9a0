package probes

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

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
	hvCheck, vmsCheck := p.h.HasCheck(hosts.CheckHypervisor), p.h.HasCheck(hosts.CheckVMs)
	cached := hvCheck && vmsCheck && p.versionsFresh()
	if hvCheck && !cached {
		hctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
		start := time.Now()
		hv = p.versions(hctx)
		hv.latency = time.Since(start)
		cancel()
	}
	if vmsCheck {
		vctx, cancel := context.WithTimeout(ctx, probeTimeout(p.h))
		start := time.Now()
		vms, nets = p.domains(vctx, hv.err)
		vms.latency = time.Since(start)
		cancel()
	}
	if cached {
		hv = p.cachedVersions(vms)
	}
	if openErr := cmp.Or(hv.err, vms.err); isChannelRefused(openErr) {
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
	if sess != nil && sess.alive() && sameConn(sess.remote, p.r) {
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
	if err == nil {
		p.st.versions = &versionsRead{sess: sess, round: p.st.rounds, libVer: f.libVer, hvVer: f.hvVer}
	}
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
		vms, err := listVMs(api, &sess.perDomain)
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
