package reliability

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// Scenario 1: 150 ms RTT with 20 ms jitter on five hosts. They stay OK,
// their checks take at least the added round trip but stay inside the probe
// deadline, and the two hosts on a clean link are not slowed by them.
func TestScenarioLatency(t *testing.T) {
	l := labtestRequire(t)
	slow, clean := []int{37, 38, 39, 40, 41}, []int{42, 43}
	const rtt, jitter = 150 * time.Millisecond, 20 * time.Millisecond
	for _, n := range slow {
		l.NetLatency(t, n, rtt, jitter)
	}
	cfg := labConfig(t, l, append(slow, clean...)...)
	f := newFleet(t, l, cfg)
	for round := range 4 { // the first round connects, the others are steady
		reps := f.sched.Round(t.Context(), cfg.Hosts)
		// A clean host's check must stay under the added round trip. The
		// connecting round also pays for key exchanges on a loaded machine,
		// so there it must only stay under the fastest degraded host's,
		// which paid for the same and for several added round trips.
		clean := rtt - jitter
		if round == 0 {
			clean = time.Hour
			for i := range slow {
				clean = min(clean, checkOf(reps[i], hosts.CheckHypervisor).Latency)
			}
		}
		for i, rep := range reps {
			hv := checkOf(rep, hosts.CheckHypervisor)
			t.Logf("round %d %s: %s, hypervisor check %s", round, rep.Host, rep.Status, hv.Latency.Round(time.Millisecond))
			if rep.Status != probes.OK {
				t.Errorf("round %d: %s", round, describe(rep))
			}
			if hv.Latency >= cfg.Hosts[i].ProbeTimeout {
				t.Errorf("round %d %s: hypervisor check took %s, past its deadline", round, rep.Host, hv.Latency)
			}
			switch {
			case i < len(slow) && hv.Latency < rtt-jitter:
				t.Errorf("round %d %s: hypervisor check took %s under %s of added RTT: the fault is not applied",
					round, rep.Host, hv.Latency, rtt)
			case i >= len(slow) && hv.Latency >= clean:
				t.Errorf("round %d %s (clean link): hypervisor check took %s (limit %s), slowed like the degraded hosts",
					round, rep.Host, hv.Latency, clean)
			}
		}
	}
}

// Scenario 2a: 5% loss on a live connection raises no false alarm over at
// least 100 probes at a short interval: TCP retransmits, and the keepalive
// (three missed 1 s replies) and deadlines leave room for it.
func TestScenarioLoss5PercentNoFalseAlarm(t *testing.T) {
	l := labtestRequire(t)
	cfg := labConfig(t, l, 37)
	cfg.Hosts[0].ProbeInterval = 200 * time.Millisecond
	f := newFleet(t, l, cfg)
	stop := f.run(t)
	up := f.sched.Updates()
	waitFor(t, up, 30*time.Second, "lab37 OK", func(r probes.HostReport) bool { return r.Status == probes.OK }, nil)
	l.NetLoss(t, 37, 5)
	for i := range 100 {
		rep, _ := waitFor(t, up, 10*time.Second, "the next report", func(probes.HostReport) bool { return true }, nil)
		if rep.Status != probes.OK {
			t.Errorf("report %d under 5%% loss: %s", i, describe(rep))
		}
	}
	stop()
}

// Scenario 2b: 30% loss may time checks out; whatever is reported names the
// link or the unanswered call, and the host is OK again by itself once the
// loss ends.
func TestScenarioLoss30PercentRecovers(t *testing.T) {
	l := labtestRequire(t)
	cfg := labConfig(t, l, 38)
	cfg.Hosts[0].ProbeInterval = time.Second
	f := newFleet(t, l, cfg)
	f.run(t)
	up := f.sched.Updates()
	waitFor(t, up, 30*time.Second, "lab38 OK", func(r probes.HostReport) bool { return r.Status == probes.OK }, nil)
	l.NetLoss(t, 38, 30)
	bad := 0
	for range 10 {
		rep, _ := waitFor(t, up, 30*time.Second, "a report under 30% loss", func(probes.HostReport) bool { return true }, nil)
		if rep.Status == probes.OK {
			continue
		}
		bad++
		t.Logf("under 30%% loss: %s", describe(rep))
		if !timedOutOrUnreachable(rep) {
			t.Errorf("under 30%% loss, a cause that is neither the link nor a deadline: %s", describe(rep))
		}
	}
	t.Logf("%d of 10 reports under 30%% loss were not OK", bad)
	l.NetHeal(t, 38)
	healed := time.Now()
	_, at := waitFor(t, up, 30*time.Second, "lab38 OK after the loss ended",
		func(r probes.HostReport) bool { return r.Status == probes.OK && r.Time.After(healed) }, nil)
	t.Logf("OK %s after the loss ended", at.Sub(healed).Round(time.Millisecond))
}

// timedOutOrUnreachable reports whether every non-OK check of rep blames the
// link or a deadline, the causes a lossy link may rightly produce (not, say,
// "libvirtd inactive" or a crashed VM).
func timedOutOrUnreachable(rep probes.HostReport) bool {
	for _, c := range rep.Checks {
		if c.Status == probes.OK {
			continue
		}
		if !strings.Contains(c.Summary, "unreachable") && !strings.Contains(c.Summary, "not answering") &&
			!strings.Contains(c.Summary, "before the deadline") {
			return false
		}
	}
	return true
}

// Scenario 3: a 60 s partition at the default settings (keepalive_interval
// unset; the lab inventory's 5 s probe interval): CRIT unreachable within
// 5 s, CRIT with that cause throughout, and OK again within one probe
// interval of the partition healing, without a restart.
func TestScenarioPartition(t *testing.T) {
	l := labtestRequire(t)
	cfg := labConfig(t, l, 39)
	if cfg.KeepaliveInterval != hosts.DefaultKeepaliveInterval {
		t.Fatalf("keepalive_interval %s, want the default", cfg.KeepaliveInterval)
	}
	interval := cfg.Hosts[0].ProbeInterval
	f := newFleet(t, l, cfg)
	f.run(t)
	up := f.sched.Updates()
	waitFor(t, up, 30*time.Second, "lab39 OK", func(r probes.HostReport) bool { return r.Status == probes.OK }, nil)
	start := time.Now()
	l.NetPartition(t, 39)
	rep, at := waitUnreachable(t, up, 15*time.Second)
	t.Logf("partitioned: %s after %s", describe(rep), at.Sub(start).Round(time.Millisecond))
	if d := at.Sub(start); d > 5*time.Second {
		t.Errorf("CRIT unreachable %s after the partition, want within 5 s", d)
	}
	healAt := start.Add(60 * time.Second)
	for time.Until(healAt) > 0 {
		r, _ := waitFor(t, up, time.Until(healAt)+interval+5*time.Second, "reports during the partition",
			func(probes.HostReport) bool { return true }, nil)
		if causeOf(r) != causeUnreachable {
			t.Errorf("during the partition: %s", describe(r))
		}
	}
	l.NetHeal(t, 39)
	healed := time.Now()
	rep, at = waitFor(t, up, 3*interval, "OK after the partition healed", func(r probes.HostReport) bool {
		return r.Status == probes.OK
	}, nil)
	t.Logf("healed: OK after %s (probe interval %s)", at.Sub(healed).Round(time.Millisecond), interval)
	if d := at.Sub(healed); d > interval+time.Second {
		t.Errorf("OK %s after the partition healed, want within one probe interval (%s)", d, interval)
	}
}
