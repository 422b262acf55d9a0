package reliability

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// cause is what the oracle reads a report's trouble as.
type cause string

const (
	causeNone        cause = ""            // OK
	causeUnreachable cause = "unreachable" // the ssh check is CRIT
	causeHypervisor  cause = "hypervisor"  // the hypervisor check is CRIT, ssh is not
	causeVMs         cause = "vms"         // only the vms check is CRIT
	// causeLibvirtLost: no CRIT, ssh OK, and the hypervisor check UNKNOWN
	// (the moment a libvirt connection drops: "libvirt connection lost:
	// checking the link", before the probe that follows explains it), or
	// the vms check UNKNOWN because the connection went under its call
	// ("connection lost during the call": a restart while the VM list was
	// being read, the hypervisor's calls having answered before).
	causeLibvirtLost cause = "libvirt-lost"
	causeOther       cause = "other" // WARN or UNKNOWN otherwise
)

// causeOf reads a report as the oracle does: the first CRIT in the order
// ssh, hypervisor, vms names the cause; without a CRIT, a hypervisor check
// UNKNOWN behind a good link is a lost libvirt connection.
func causeOf(rep probes.HostReport) cause {
	switch {
	case rep.Status == probes.OK:
		return causeNone
	case checkOf(rep, hosts.CheckSSH).Status == probes.CRIT:
		return causeUnreachable
	case checkOf(rep, hosts.CheckHypervisor).Status == probes.CRIT:
		return causeHypervisor
	case checkOf(rep, hosts.CheckVMs).Status == probes.CRIT:
		return causeVMs
	case checkOf(rep, hosts.CheckSSH).Status != probes.OK:
	case checkOf(rep, hosts.CheckHypervisor).Status == probes.UNKNOWN:
		return causeLibvirtLost
	case checkOf(rep, hosts.CheckVMs).Status == probes.UNKNOWN && connectionLost(checkOf(rep, hosts.CheckVMs).Summary):
		return causeLibvirtLost
	}
	return causeOther
}

// connectionLost reports whether a check's summary says the libvirt
// connection went away (probes' reasons for go-libvirt's interrupted and
// closed calls, and the pushed loss).
func connectionLost(summary string) bool {
	return strings.Contains(summary, "connection lost") || strings.Contains(summary, "connection closed")
}

// observed is one report as the oracle keeps it.
type observed struct {
	host   string
	at     time.Time
	status probes.Status
	cause  cause
	text   string
}

// injected is one fault as the injector applied it.
type injected struct {
	host string
	kind string
	// want are the causes the fault may be reported with (a non-OK report
	// with one of them detects it); none for a fault that must raise
	// nothing (latency, 5% loss).
	want            []cause
	detect, recover time.Duration // bounds
	// seenIfDown, for a restart, is how long the daemon must really be down
	// for hvconsole to promise a report of it (the scheduler's LossGrace):
	// a restart shorter than that may be over before the probe that
	// follows the dropped connection looks, and then nothing is wrong to
	// report. Such a fault is also strict: every non-OK report in its
	// window must have one of the wanted causes.
	seenIfDown time.Duration
	// start is just before the fault verb ran; applied just after it
	// returned (the fault is in place by then at the latest: a lab verb
	// takes from 0.1 s to seconds on a loaded machine, so detection bounds
	// count from it, while detection times are reported from start);
	// repaired is just after the repair verb returned (== applied for a
	// fault that repairs itself).
	start, applied, repaired time.Time
	instant                  bool
}

// inPlace is when the fault was surely in place: applied, or start when
// it was not recorded.
func (f injected) inPlace() time.Time {
	if f.applied.IsZero() {
		return f.start
	}
	return f.applied
}

// outage is a span in which a host's libvirtd process was really gone (or
// replaced by another pid), as a sampler outside the monitor saw it (the
// lab's pid file and /proc); evidence is what the kernel logged then.
type outage struct {
	host     string
	from, to time.Time
	evidence string
}

// span is a time on one host: an injector verb that ends the daemon
// (libvirtd kill, stop, restart), from just before it ran to just after.
type span struct {
	host     string
	from, to time.Time
}

// outageSlack is how long after an outage ends its reports (and its
// recovery) are still its own.
const outageSlack = 10 * time.Second

// truthEvery is the ground-truth sampler's period: a daemon's death is
// seen at most this long after it happened.
const truthEvery = 200 * time.Millisecond

// spontaneous returns the outages no injector verb explains: a lab daemon
// that died while nothing was ending it. That is the only evidence the
// oracle accepts for "the lab broke": the process really gone, and no
// kill, stop or restart of it running then (a daemon that dies during a
// freeze, a partition or after a thaw is the lab's, not the fault's).
func spontaneous(outs []outage, ends []span) []outage {
	var out []outage
	for _, o := range outs {
		injected := slices.ContainsFunc(ends, func(e span) bool {
			return e.host == o.host && !o.from.Before(e.from) && !o.from.After(e.to.Add(2*truthEvery))
		})
		if !injected {
			out = append(out, o)
		}
	}
	return out
}

func overlaps(a0, a1, b0, b1 time.Time) bool { return !a1.Before(b0) && !b1.Before(a0) }

// downFor is the least time f's host's daemon was really down during f:
// the longest pid outage the sampler saw starting from f's start to just
// after its repair, less one sampling period (the pid may have come back
// just after the sample before the one that saw it). A new pid comes
// before the daemon answers, so this is a lower bound. Zero when no
// outage was seen.
func downFor(f injected, outs []outage) time.Duration {
	var d time.Duration
	for _, o := range outs {
		if o.host == f.host && !o.from.Before(f.start) && !o.from.After(f.repaired.Add(2*truthEvery)) {
			d = max(d, o.to.Sub(o.from)-truthEvery)
		}
	}
	return d
}

// verdict is the oracle's judgement of a whole run.
type verdict struct {
	Injected, Benign, Detected int
	// Spontaneous outages happened without a fault (LabOutages says when,
	// with the kernel's record); Explained reports were theirs, naming the
	// hypervisor; Void faults fell into one and are not judged.
	Spontaneous, Explained int
	LabOutages             []string
	Void                   []string
	// Unseen are restarts no report showed, each with the daemon down for
	// less than the fault's seenIfDown (not a promise broken).
	Unseen         []string
	DetectTimes    []time.Duration
	RecoverTimes   []time.Duration
	Missed         []string // no CRIT with the right cause within the bound
	SlowRecoveries []string // no OK within the bound after the repair
	FalseAlarms    []string // a non-OK report no fault explains
	ByKind         map[string]int
	DetectByKind   map[string][]time.Duration
}

// failed reports whether the run broke a promise.
func (v verdict) failed() bool {
	return len(v.Missed)+len(v.SlowRecoveries)+len(v.FalseAlarms) > 0
}

// judge checks every report against the faults: each fault with causes is
// reported non-OK with one of them within its detection bound; every
// faulted host is OK again within the recovery bound after the repair; no
// non-OK report falls outside a fault's window (from its start to the
// recovery), and none at all during a fault that must raise nothing. The
// only reports it excuses are those naming the hypervisor while the host's
// daemon was really gone with no verb of the injector ending it (outs and
// ends), and faults applied then are void, not judged.
func judge(faults []injected, reports []observed, outs []outage, ends []span) verdict {
	v := verdict{Injected: len(faults), ByKind: map[string]int{}, DetectByKind: map[string][]time.Duration{}}
	sp := spontaneous(outs, ends)
	v.Spontaneous = len(sp)
	for _, o := range sp {
		v.LabOutages = append(v.LabOutages, fmt.Sprintf("%s libvirtd gone %s-%s with no fault ending it; kernel: %s",
			o.host, o.from.Format("15:04:05.0"), o.to.Format("15:04:05.0"), o.evidence))
	}
	inOutage := func(host string, a, b time.Time) bool {
		return slices.ContainsFunc(sp, func(o outage) bool {
			return o.host == host && overlaps(a, b, o.from, o.to.Add(outageSlack))
		})
	}
	byHost := map[string][]observed{}
	for _, r := range reports {
		byHost[r.host] = append(byHost[r.host], r)
	}
	covered := map[string][][2]time.Time{} // host -> windows explaining non-OK reports
	for _, f := range faults {
		v.ByKind[f.kind]++
		if inOutage(f.host, f.start, f.repaired.Add(f.recover)) {
			v.Void = append(v.Void, fmt.Sprintf("%s %s at %s", f.host, f.kind, f.start.Format(time.TimeOnly)))
			covered[f.host] = append(covered[f.host], [2]time.Time{f.start, f.repaired.Add(f.recover)})
			continue
		}
		rs := byHost[f.host]
		slices.SortStableFunc(rs, func(a, b observed) int { return a.at.Compare(b.at) })
		detectedAt := time.Time{}
		if len(f.want) == 0 {
			v.Benign++
		} else if i := slices.IndexFunc(rs, func(r observed) bool {
			return !r.at.Before(f.start) && r.status != probes.OK && slices.Contains(f.want, r.cause)
		}); i >= 0 && rs[i].at.Sub(f.inPlace()) <= f.detect {
			detectedAt = rs[i].at
			v.Detected++
			v.DetectTimes = append(v.DetectTimes, detectedAt.Sub(f.start))
			v.DetectByKind[f.kind] = append(v.DetectByKind[f.kind], detectedAt.Sub(f.start))
		} else if down := downFor(f, outs); f.seenIfDown > 0 && down < f.seenIfDown {
			v.Unseen = append(v.Unseen, fmt.Sprintf("%s %s at %s: daemon down %s at least (< %s); first trouble: %s",
				f.host, f.kind, f.start.Format(time.TimeOnly), down.Round(time.Millisecond), f.seenIfDown, firstTrouble(rs, f.start)))
		} else {
			v.Missed = append(v.Missed, fmt.Sprintf("%s %s at %s: no report %s within %s (daemon down %s at least); first trouble: %s",
				f.host, f.kind, f.start.Format(time.TimeOnly), f.want, f.detect, down.Round(time.Millisecond), firstTrouble(rs, f.start)))
		}
		from := f.repaired
		if f.instant && !detectedAt.IsZero() {
			from = detectedAt
		}
		end := f.repaired.Add(f.recover)
		i := slices.IndexFunc(rs, func(r observed) bool { return !r.at.Before(from) && r.status == probes.OK })
		if i >= 0 && !rs[i].at.After(end) {
			end = rs[i].at
			v.RecoverTimes = append(v.RecoverTimes, rs[i].at.Sub(f.repaired))
		} else {
			v.SlowRecoveries = append(v.SlowRecoveries, fmt.Sprintf("%s %s repaired at %s: not OK within %s",
				f.host, f.kind, f.repaired.Format(time.TimeOnly), f.recover))
		}
		if len(f.want) == 0 || f.seenIfDown > 0 { // non-OK reports in its window not explained by it are false alarms, counted here
			for _, r := range rs {
				if r.status != probes.OK && !r.at.Before(f.start) && !r.at.After(end) && !slices.Contains(f.want, r.cause) {
					v.FalseAlarms = append(v.FalseAlarms, fmt.Sprintf("%s during %s: %s", r.at.Format(time.TimeOnly), f.kind, r.text))
				}
			}
		}
		covered[f.host] = append(covered[f.host], [2]time.Time{f.start, end})
	}
	for _, r := range reports {
		if r.status == probes.OK || inAny(covered[r.host], r.at) {
			continue
		}
		if (r.cause == causeHypervisor || r.cause == causeLibvirtLost) && inOutage(r.host, r.at, r.at) {
			v.Explained++
			continue
		}
		v.FalseAlarms = append(v.FalseAlarms, fmt.Sprintf("%s unfaulted: %s", r.at.Format(time.TimeOnly), r.text))
	}
	return v
}

// firstTrouble describes the first non-OK report at or after from.
func firstTrouble(rs []observed, from time.Time) string {
	for _, r := range rs {
		if !r.at.Before(from) && r.status != probes.OK {
			return fmt.Sprintf("+%s %s", r.at.Sub(from).Round(time.Millisecond), r.text)
		}
	}
	return "none"
}

func inAny(ws [][2]time.Time, at time.Time) bool {
	for _, w := range ws {
		if !at.Before(w[0]) && !at.After(w[1]) {
			return true
		}
	}
	return false
}

// quantile is the q-quantile (0..1) of ds by the nearest-rank method.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// summary is the verdict's figures as the README quotes them.
func (v verdict) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "faults injected %d (%d that must raise nothing, %d void, %d restarts too short to be seen); detected %d of %d, detection median %s p99 %s max %s;\n",
		v.Injected, v.Benign, len(v.Void), len(v.Unseen), v.Detected, v.Injected-v.Benign-len(v.Void)-len(v.Unseen),
		quantile(v.DetectTimes, 0.5).Round(time.Millisecond), quantile(v.DetectTimes, 0.99).Round(time.Millisecond),
		quantile(v.DetectTimes, 1).Round(time.Millisecond))
	fmt.Fprintf(&b, "recovery median %s p99 %s max %s; missed %d; slow recoveries %d; false alarms %d\n",
		quantile(v.RecoverTimes, 0.5).Round(time.Millisecond), quantile(v.RecoverTimes, 0.99).Round(time.Millisecond),
		quantile(v.RecoverTimes, 1).Round(time.Millisecond), len(v.Missed), len(v.SlowRecoveries), len(v.FalseAlarms))
	kinds := make([]string, 0, len(v.ByKind))
	for k, n := range v.ByKind {
		d := v.DetectByKind[k]
		if len(d) == 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			continue
		}
		kinds = append(kinds, fmt.Sprintf("%s %d (detected in %s-%s)", k, n,
			quantile(d, 0).Round(time.Millisecond), quantile(d, 1).Round(time.Millisecond)))
	}
	slices.Sort(kinds)
	fmt.Fprintf(&b, "daemon outages not injected (the lab's own): %d, their %d reports true; by kind: %s",
		v.Spontaneous, v.Explained, strings.Join(kinds, ", "))
	return b.String()
}
