package probes

import (
	"context"
	"fmt"
	"net"
	"time"

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
		// A daemon killed a moment ago may still hold its listening
		// socket while its exit lasts, and the kernel queues our
		// connection: that socket closes soon, a live daemon's stays open
		// (it says nothing until spoken to). Ask once more if it closed.
		if !closesSoon(conn, dyingWait) {
			return HostReport{}, false
		}
		if conn, err = lost.remote.DialUnix(ctx, h.LibvirtSocket); err == nil {
			conn.Close()
			return HostReport{}, false
		}
	}
	if !isChannelRefused(err) {
		return HostReport{}, false
	}
	unitsCmd, timesCmd, uerr := remote.UnitStateCommands(h.Units)
	if uerr != nil {
		return HostReport{}, false
	}
	p := &hostProbe{s: s, h: h, st: st, r: lost.remote}
	parts, _, xerr := p.exec(ctx, []string{unitsCmd, timesCmd})
	now := s.now()
	u := p.readUnitState(parts, xerr, now)
	if u.err != nil || len(u.notActive()) == 0 {
		return HostReport{}, false
	}
	hv := hvFacts{err: fmt.Errorf("probes: dial libvirt socket %s: %w", h.LibvirtSocket, err)}
	rep := lostReport(last, h, "", now)
	for i, c := range rep.Checks {
		if c.Check == hosts.CheckHypervisor {
			rep.Checks[i] = hypervisorResult(h, hv, u, now)
		}
	}
	return finish(rep, now), true
}

// dyingWait bounds the wait for a dying daemon's socket to close: a
// process exit takes milliseconds, seconds only on a machine far past
// its capacity, where the full probe that follows still decides.
const dyingWait = 300 * time.Millisecond

// closesSoon reports whether the far end closes conn within d; it closes
// conn either way. A stream's read deadline is not always supported (SSH
// channels), so the read is cut by closing the conn.
func closesSoon(conn net.Conn, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b [1]byte
		_, _ = conn.Read(b[:])
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		conn.Close()
		return true
	case <-t.C:
		conn.Close()
		<-done
		return false
	}
}
