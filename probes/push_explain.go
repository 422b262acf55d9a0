package probes

import (
	"context"
	"fmt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// explainDrop is the quick answer to a libvirt connection that dropped on
// a live SSH link, asked before the full probe that follows it: the full
// probe reads every check due (and, on a refused tunnel, asks virsh whether
// the refusal is policy), which under load took seconds, while an alert
// must leave within one. Two cheap steps decide a dead daemon:
//
//  1. The libvirt socket is dialled again over the very SSH connection that
//     carried the lost session. A refusal from the server proves the link
//     good, and it cannot be policy (this connection tunnelled the socket
//     moments ago), so nothing listens there any more. A dial that connects
//     (a restarted or socket-activated daemon) or that gets no answer
//     (link in doubt) is left to the full probe.
//  2. One exec reads the units' state and the host's own time of their
//     failure, as the full probe does; the CRIT is published only when the
//     units say so (the same summary the full probe gives), so the full
//     probe's report that follows repeats it rather than correcting it.
//
// It runs on every drop of a live link, also while the reconnect backs
// off (a daemon that dies again soon after it came back is told at once
// too). ok is false when the quick answer does not settle the cause, or when a
// Round holds the host (it explains the loss itself).
func (s *Scheduler) explainDrop(ctx context.Context, h hosts.Host, st *hostState, lost *lvSession, last HostReport) (HostReport, bool) {
	if !h.HasCheck(hosts.CheckHypervisor) {
		return HostReport{}, false
	}
	select {
	case st.busy <- struct{}{}:
	default:
		return HostReport{}, false
	}
	defer func() { <-st.busy }()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout(h))
	defer cancel()
	conn, err := lost.remote.DialUnix(ctx, h.LibvirtSocket)
	if err == nil {
		conn.Close()
		return HostReport{}, false
	}
	if !isChannelRefused(err) {
		return HostReport{}, false
	}
	unitsCmd, uerr := remote.UnitsActiveCommand(h.Units)
	timesCmd, terr := remote.UnitTimesCommand(h.Units)
	if uerr != nil || terr != nil {
		return HostReport{}, false
	}
	p := &hostProbe{s: s, h: h, st: st, r: lost.remote}
	parts, _, xerr := p.exec(ctx, []string{unitsCmd, timesCmd})
	now := s.now()
	u := p.readUnits(parts[0], xerr, now)
	if u.err != nil || len(u.notActive()) == 0 {
		return HostReport{}, false
	}
	u.since = p.readSince(parts[1], xerr, u, now)
	hv := hvFacts{err: fmt.Errorf("probes: dial libvirt socket %s: %w", h.LibvirtSocket, err)}
	rep := lostReport(last, h, "", now)
	for i, c := range rep.Checks {
		if c.Check == hosts.CheckHypervisor {
			rep.Checks[i] = hypervisorResult(h, hv, u, now)
		}
	}
	return finish(rep, now), true
}
