package probes

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// A steady round asks each libvirt host as few round trips as it can: at
// 10,000 hosts every call is a small SSH packet each way per host, and
// those system calls were most of a round's CPU. The domains come in two
// calls whatever their number (the autostart ones, then every one with its
// state and reason), the networks in three, and the versions, which a
// running daemon keeps, are read again only every UnitEvery rounds while
// the domain list proves the API answers.

// versionsRead is the versions last read on a session, and in which round
// (hostState.rounds).
type versionsRead struct {
	sess          *lvSession
	round         int
	libVer, hvVer uint64
}

// versionsFresh reports whether the versions read on the host's open
// session may be reported again this round instead of asked: libvirt's
// cannot change while the daemon keeps the connection (a restart drops
// it), and the hypervisor's only when its package is upgraded under a
// running daemon, so both are read again every UnitEvery rounds.
func (p *hostProbe) versionsFresh() bool {
	v := p.st.versions
	if v == nil || p.st.rounds-v.round >= p.s.opts.UnitEvery {
		return false
	}
	p.st.mu.Lock()
	sess := p.st.sess
	p.st.mu.Unlock()
	return v.sess == sess && sess.alive()
}

// cachedVersions is the hypervisor check's facts from the versions read
// earlier on the session, with this round's answer from the domain list:
// a list the daemon answered, even with an error of its own, proves the
// API up; one that timed out, broke or came back malformed does not.
func (p *hostProbe) cachedVersions(vms vmFacts) hvFacts {
	v := p.st.versions
	f := hvFacts{libVer: v.libVer, hvVer: v.hvVer, hvType: v.sess.hvType, hostname: v.sess.host(),
		latency: vms.latency}
	if vms.err != nil && !refused(vms.err) {
		f.err = vms.err
	}
	f.answered = f.err == nil
	return f
}

// listVMs reads every domain with its state, reason and autostart flag.
// A daemon that does not offer ConnectGetAllDomainStats (libvirt before
// 1.2.8, a driver without it), or whose statistics are too large for
// maxStatsReply, is asked per domain instead, and perDomain remembers that
// for the session.
func listVMs(api libvirtAPI, perDomain *atomic.Bool) (vmFacts, error) {
	if !perDomain.Load() {
		f, err := listVMsByStats(api)
		if !noSupport(err) {
			return f, err
		}
		perDomain.Store(true)
	}
	return listVMsPerDomain(api)
}

// noSupport reports whether err is a daemon saying it does not know a
// procedure (as opposed to refusing this call), or domain statistics too
// large to decode (tooLargeReply).
func noSupport(err error) bool {
	var le libvirt.Error
	return errors.Is(err, libvirt.ErrUnsupported) ||
		errors.As(err, &le) && (le.Code == uint32(libvirt.ErrNoSupport) || le.Code == uint32(libvirt.ErrRPC))
}

// listVMsByStats reads the domains in two calls: the autostart ones, then
// every domain with the state group of its statistics (state.state and
// state.reason, the values DomainGetState answers). A domain defined
// between the two is shown without autostart until the next round; one
// undefined between them is gone.
func listVMsByStats(api libvirtAPI) (vmFacts, error) {
	auto, _, err := api.ConnectListAllDomains(1, libvirt.ConnectListDomainsAutostart)
	if err != nil {
		return vmFacts{}, fmt.Errorf("autostart domains: %w", err)
	}
	autostart := make(map[string]bool, len(auto))
	for _, d := range auto {
		autostart[d.Name] = true
	}
	recs, err := api.ConnectGetAllDomainStats(nil, uint32(libvirt.DomainStatsState), 0)
	if err != nil {
		return vmFacts{}, err
	}
	recs, f := firstDomains(recs)
	for _, r := range recs {
		sw, rw := stateParams(r.Params)
		f.vms = append(f.vms, VM{Name: remote.CleanLine(r.Dom.Name), State: sw, Reason: rw, Autostart: autostart[r.Dom.Name]})
	}
	return f, nil
}

// firstDomains keeps the first remote.MaxDomains of the domains a daemon
// listed and starts their facts, capped when some were left out.
func firstDomains[T any](all []T) ([]T, vmFacts) {
	kept := all[:min(len(all), remote.MaxDomains)]
	return kept, vmFacts{capped: len(all) > len(kept), vms: make([]VM, 0, len(kept))}
}

// stateParams turns a domain's state.state and state.reason into words. A
// record without them (or with other types than libvirt's int) has a state
// no daemon sends, which the vms check rates UNKNOWN.
func stateParams(ps []libvirt.TypedParam) (string, string) {
	var state, reason int32
	var haveState, haveReason bool
	for _, p := range ps {
		v, ok := p.Value.I.(int32)
		switch p.Field {
		case "state.state":
			state, haveState = v, ok
		case "state.reason":
			reason, haveReason = v, ok
		}
	}
	switch {
	case !haveState:
		return "state-unreported", ""
	case !haveReason:
		sw, _ := libvirtStateWords(state, 0)
		return sw, "reason-unreported"
	}
	return libvirtStateWords(state, reason)
}

// listVMsPerDomain reads the domains, then each one's state and autostart
// flag; one that vanishes between the list and its state (undefined
// meanwhile) is skipped.
func listVMsPerDomain(api libvirtAPI) (vmFacts, error) {
	doms, _, err := api.ConnectListAllDomains(1, 0)
	if err != nil {
		return vmFacts{}, err
	}
	doms, f := firstDomains(doms)
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
		sw, rw := libvirtStateWords(state, rsn)
		f.vms = append(f.vms, VM{Name: remote.CleanLine(d.Name), State: sw, Reason: rw, Autostart: auto != 0})
	}
	return f, nil
}
