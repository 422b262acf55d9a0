package probes

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The root-cause rule: a host's report names what actually went wrong,
// not what followed from it. When the SSH link dies, the libvirt channel
// riding on it drops first, so "libvirt connection lost" is the first
// symptom an observer sees; reporting it as a dead daemon would blame the
// hypervisor for a network fault. So:
//
//   - a lost libvirt connection is not a dead daemon until the link is known
//     good (lostReport says "checking" and the probe that follows decides);
//     that probe runs at once, and the "checking" report is held back for
//     LossGrace: a probe that answers sooner (a dead daemon on a live link
//     is explained in milliseconds) replaces it, so a daemon death is one
//     event, the CRIT with its cause, still within the second;
//   - when the link died, the ssh check is CRIT unreachable and every check
//     behind it is UNKNOWN "host unreachable", never CRIT;
//   - when the libvirt API is silent and the host did not answer a command
//     either, the hypervisor check is UNKNOWN (link in doubt), not CRIT.

// summaryLinkInDoubt is the hypervisor check's summary when the libvirt API
// is silent and the host did not answer a command either.
const summaryLinkInDoubt = "libvirt not answering and the host did not answer a command either: link in doubt"

// summaryCheckingLink is the hypervisor check's summary published the
// moment the libvirt connection drops while the SSH link still looks up.
const summaryCheckingLink = "libvirt connection lost: checking the link"

// linkInDoubt reports a unit-state read that failed for want of an answer
// (the exec itself failed), as opposed to an answer we could not parse.
func linkInDoubt(u unitFacts) bool {
	return u.fresh && u.err != nil && !errors.Is(u.err, remote.ErrUnparseable)
}

// keepVMs makes a report whose VM list could not be read this round carry
// the last list read, with its time (VMsAsOf): the blast radius of a dead
// daemon or an unreachable host is the VMs it had, not zero. A list read
// this round is remembered for next time.
func (p *hostProbe) keepVMs(rep HostReport) HostReport {
	if !p.h.HasCheck(hosts.CheckVMs) {
		return rep
	}
	if c, ok := rep.Check(hosts.CheckVMs); (ok && c.Status != UNKNOWN) || len(rep.VMs) > 0 {
		p.st.lastVMs, p.st.lastVMsAt = rep.VMs, rep.Time
		return rep
	}
	if p.st.lastVMsAt.IsZero() {
		return rep
	}
	rep.VMs, rep.VMsAsOf = slices.Clone(p.st.lastVMs), p.st.lastVMsAt
	return rep
}

// staleVMs is last's VM list marked as of when it was read, for a report
// published when the connection drops.
func staleVMs(last HostReport) ([]VM, time.Time) {
	if !last.VMsAsOf.IsZero() {
		return slices.Clone(last.VMs), last.VMsAsOf
	}
	if c, ok := last.Check(hosts.CheckVMs); ok && c.Status != UNKNOWN {
		return slices.Clone(last.VMs), last.Time
	}
	return nil, time.Time{}
}

// lostWhy is the ssh check's summary for h's lost link: when a jump host in
// front of h is itself known down, it names that jump host, as a connect
// through it does, so every host behind it says one cause from its first
// report; otherwise the link itself.
func (s *Scheduler) lostWhy(h hosts.Host) string {
	for _, hop := range h.Jump {
		s.mu.Lock()
		st := s.states[hop.Name]
		s.mu.Unlock()
		if st != nil && st.linkDown.Load() {
			return "unreachable: jump host " + hop.Name + " unreachable (its own link is down)"
		}
	}
	return "unreachable: ssh connection lost"
}

// linkLostKeepVMs is linkLost keeping rep's (stale) VM list.
func linkLostKeepVMs(rep HostReport, h hosts.Host, why string, at time.Time) HostReport {
	vms, asOf := rep.VMs, rep.VMsAsOf
	rep = linkLost(rep, h, why, at)
	rep.VMs, rep.VMsAsOf = vms, asOf
	return rep
}

// heldReport is a report published after the scheduler's LossGrace unless
// the prober settles it first: drop when a newer report replaces it,
// publish when none will come soon. The first of the timer and the prober
// to settle it wins, so a held report never lands after its replacement.
type heldReport struct {
	mu   sync.Mutex
	done bool
	put  func()
	t    *time.Timer
}

// hold publishes rep after LossGrace unless settled before.
func (s *Scheduler) hold(rep HostReport) *heldReport {
	hr := &heldReport{put: func() { s.updates.put(rep) }}
	hr.mu.Lock()
	defer hr.mu.Unlock()
	hr.t = time.AfterFunc(s.opts.LossGrace, hr.publish)
	return hr
}

// publish puts the report now unless it was settled; nil does nothing.
func (hr *heldReport) publish() { hr.settle(true) }

// drop forgets the report unless it was published; nil does nothing.
func (hr *heldReport) drop() { hr.settle(false) }

func (hr *heldReport) settle(put bool) {
	if hr == nil {
		return
	}
	hr.mu.Lock()
	defer hr.mu.Unlock()
	if hr.done {
		return
	}
	hr.done = true
	hr.t.Stop()
	if put {
		hr.put()
	}
}
