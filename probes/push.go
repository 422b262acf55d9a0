package probes

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hostWatch is one host's push state in Run. It is owned by the host's
// prober goroutine: nothing else touches it.
type hostWatch struct {
	// sess is the session whose death and events the prober waits on.
	sess    *lvSession
	upSince time.Time
	// last is the host's latest published report, the base of the reports
	// published on a lost connection or a lifecycle event.
	last    HostReport
	hasLast bool
	// reconnecting is set from a lost connection until a session is up.
	reconnecting bool
	backoff      backoff
	retry        timer
	// held is the loss report waiting for the probe that explains it.
	held *heldReport
}

func (w *hostWatch) deadC() <-chan struct{} {
	if w.sess == nil {
		return nil
	}
	return w.sess.dead
}

func (w *hostWatch) linkC() <-chan struct{} {
	if w.sess == nil {
		return nil
	}
	return w.sess.remote.Done()
}

func (w *hostWatch) eventsC() <-chan struct{} {
	if w.sess == nil {
		return nil
	}
	return w.sess.ev.signal()
}

func (w *hostWatch) retryC() <-chan time.Time { return timerC(w.retry) }

func (w *hostWatch) stopRetry() {
	stopTimer(w.retry)
	w.retry = nil
}

// backoff spaces reconnect attempts: the first is immediate, then min,
// 2*min, ... up to max, each with jitter in [d/2, d) so a fleet whose
// daemons died together does not reconnect in step.
type backoff struct {
	min, max time.Duration
	n        int
	jitter   func(time.Duration) time.Duration // rand.N by default
}

func (b *backoff) next() time.Duration {
	n := b.n
	b.n++
	if n == 0 {
		return 0
	}
	d := b.max
	if n-1 < 30 && b.min<<(n-1) < b.max {
		d = b.min << (n - 1)
	}
	j := b.jitter
	if j == nil {
		j = rand.N[time.Duration]
	}
	return d/2 + j(d/2+1)
}

func (b *backoff) reset() { b.n = 0 }

// afterProbe updates the watch from the host's session after a published
// probe: a live session is watched; a session found dead while the report
// still says the daemon answered is watched too, so its loss fires at once;
// no session while reconnecting arms the next retry.
func (s *Scheduler) afterProbe(w *hostWatch, rep HostReport, st *hostState) {
	w.last, w.hasLast = rep, true
	st.mu.Lock()
	sess := st.sess
	st.mu.Unlock()
	switch {
	case sess != nil && sess.alive():
		if w.sess != sess {
			w.upSince = time.Now()
		}
		w.sess, w.reconnecting = sess, false
		w.stopRetry()
	case sess != nil && answered(rep):
		if w.sess != sess {
			w.upSince = time.Now()
		}
		w.sess = sess
	default:
		w.sess = nil
		if w.reconnecting {
			w.stopRetry()
			w.retry = s.newTimer(max(w.backoff.next(), time.Millisecond))
		}
	}
}

// answered reports whether rep's hypervisor check heard the daemon.
func answered(rep HostReport) bool {
	r, ok := rep.Check(hosts.CheckHypervisor)
	return ok && (r.Status == OK || r.Status == WARN)
}

// sessionLost handles the watched session's death: it publishes the host's
// last report with the hypervisor check CRIT at once, then probes the host
// (which explains the loss and reconnects), immediately the first time and
// after a growing delay when the connection keeps dropping.
func (s *Scheduler) sessionLost(ctx context.Context, h hosts.Host, st *hostState, w *hostWatch) {
	lost := w.sess
	w.sess = nil
	st.mu.Lock()
	cur := st.sess
	st.mu.Unlock()
	if cur != nil && cur != lost && cur.alive() { // replaced by a concurrent Round
		w.sess = cur
		return
	}
	if time.Since(w.upSince) >= s.opts.ReconnectMax {
		w.backoff.reset()
	}
	w.reconnecting = true
	w.stopRetry()
	d := w.backoff.next()
	// A session killed because a call outlived its deadline was ended by
	// the probe, whose report already says the daemon did not answer (over
	// a lossy link, rightly not "connection lost").
	if w.hasLast && !lost.timedOut.Load() {
		sshLost := isClosed(lost.remote.Done())
		why := ""
		if sshLost {
			st.linkDown.Store(true)
			why = s.lostWhy(h)
		}
		rep := lostReport(w.last, h, why, s.now())
		if sshLost {
			s.updates.put(rep)
		} else {
			// the probe that follows names the cause: one event (see
			// rootcause.go); a dead daemon is told sooner still, also
			// when the reconnect backs off (push_explain.go)
			w.held = s.hold(rep)
			if crit, ok := s.explainDrop(ctx, h, st, lost, rep); ok {
				w.held.drop()
				w.held, rep = nil, crit
				s.updates.put(crit)
			} else if d > 0 {
				w.held.publish() // no probe follows at once
				w.held = nil
			}
		}
		w.last = rep
	}
	if d > 0 {
		w.retry = s.newTimer(d)
		return
	}
	s.probeAndPublish(ctx, &h, st, w, probeAsked)
}

// lostReport is last with the hypervisor check CRIT and the VM list
// unknown; when the SSH link itself died (linkWhy, the ssh check's summary,
// is set) the ssh check is CRIT too. The kvm and backups checks keep their
// last results.
func lostReport(last HostReport, h hosts.Host, linkWhy string, at time.Time) HostReport {
	rep := last
	rep.Tags = slices.Clone(last.Tags)
	rep.Checks = slices.Clone(last.Checks)
	rep.Version = ""
	rep.VMs, rep.VMsAsOf = staleVMs(last)
	if linkWhy != "" {
		return linkLostKeepVMs(rep, h, linkWhy, at)
	}
	for i, c := range rep.Checks {
		switch c.Check {
		case hosts.CheckHypervisor:
			// not a dead daemon until the link is known good: the probe
			// that follows at once decides (see rootcause.go)
			rep.Checks[i] = newResult(h.Name, c.Check, UNKNOWN, summaryCheckingLink, "probing the host to explain", nil, 0, at)
		case hosts.CheckVMs:
			rep.Checks[i] = newResult(h.Name, c.Check, UNKNOWN, "VM list unavailable: libvirt connection lost", "", nil, 0, at)
		}
	}
	return finish(rep, at)
}

// applyEvents answers lifecycle events on the watched session: it re-reads
// the domains (not the whole host) under the host's one-probe-at-a-time
// rule and publishes the last report with the new vms check. The events
// name the change in the check's details.
func (s *Scheduler) applyEvents(ctx context.Context, h hosts.Host, st *hostState, w *hostWatch) {
	sess := w.sess
	evs, dropped := sess.ev.take()
	if len(evs) == 0 || !h.HasCheck(hosts.CheckVMs) {
		return
	}
	if !w.hasLast {
		s.probeAndPublish(ctx, &h, st, w, probeAsked)
		return
	}
	if !acquire(ctx, st.busy) {
		return
	}
	defer func() { <-st.busy }()
	if !acquire(ctx, s.slots) {
		return
	}
	defer func() { <-s.slots }()
	vctx, cancel := context.WithTimeout(ctx, probeTimeout(h))
	defer cancel()
	start := time.Now()
	vms, nets := readVMs(vctx, sess)
	vms.latency = time.Since(start)
	if ctx.Err() != nil {
		return
	}
	res := withNetworks(vmsResult(h, vms, s.now()), nets)
	res.Details = remote.Clean(strings.TrimLeft(res.Details+"\n"+eventsDetail(evs, dropped), "\n"))
	rep := withVMs(w.last, res, vms.vms, s.now())
	s.updates.put(rep)
	w.last = rep
}

// withVMs is a copy of last with the vms check and VM list replaced.
func withVMs(last HostReport, res Result, vms []VM, at time.Time) HostReport {
	rep := last
	rep.Tags = slices.Clone(last.Tags)
	rep.Checks = slices.Clone(last.Checks)
	for i, c := range rep.Checks {
		if c.Check == hosts.CheckVMs {
			rep.Checks[i] = res
		}
	}
	rep.VMs, rep.VMsAsOf = rateVMs(vms), time.Time{}
	return finish(rep, at)
}

// eventsDetail is the "events:" line: the newest few events, newest last.
func eventsDetail(evs []domainEvent, dropped int) string {
	const show = 5
	var parts []string
	if n := max(0, len(evs)-show) + dropped; n > 0 {
		parts = append(parts, "+"+strconv.Itoa(n)+" earlier")
	}
	for _, e := range evs[max(0, len(evs)-show):] {
		parts = append(parts, e.String())
	}
	return "events: " + strings.Join(parts, "; ")
}
