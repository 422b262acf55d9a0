package reliability

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
)

var (
	soakFor    = flag.Duration("soak", 0, "run the chaos soak for this long (e.g. 2m, 60m); 0 skips it")
	soakSeed   = flag.Uint64("soak-seed", 0, "seed of the fault injector (0: from the clock; logged)")
	soakReport = flag.String("soak-report", "", "write the soak's figures to this file (JSON)")
	soakHosts  = flag.String("soak-hosts", "", "lab host numbers FIRST-LAST for the soak (default: this package's reserved hosts)")
)

// Soak settings: a short probe interval so that a run of minutes sees
// hundreds of probes per host; keepalive_interval stays at its default.
const (
	soakInterval     = 2 * time.Second
	soakProbeTimeout = 5 * time.Second
	soakConnect      = 3 * time.Second
	soakMaxFaulted   = 3 // hosts under a fault at once
	// soakMinFault is the shortest fault (the longest twice that): longer
	// than every detection bound, so no fault is repaired before it could
	// be seen. soakQuiet ends injection before the run does.
	soakMinFault = 15 * time.Second
	soakQuiet    = 15 * time.Second
)

// faultKind is one kind of fault the injector applies: lab.sh verbs to
// apply and repair it ("N" stands for the host number, "WORLD" for the
// crashed-VM world file), the cause it must be reported with, and bounds.
type faultKind struct {
	name            string
	apply, repair   [][]string
	want            []cause
	detect, recover time.Duration
	seenIfDown      time.Duration // see injected
}

var (
	wantUnreachable = []cause{causeUnreachable}
	wantHypervisor  = []cause{causeHypervisor}
	wantVMs         = []cause{causeVMs}
	// A restart drops the libvirt connection hvconsole holds open; the
	// probe that follows at once says CRIT if the daemon is still down or
	// OK if it is back, and the UNKNOWN "libvirt connection lost: checking
	// the link" held meanwhile is published only if that probe takes
	// longer than LossGrace. So a restart with the daemon down for
	// LossGrace or more is always reported, by one of those two; a shorter
	// one may be over unseen (lab/README.md, "The chaos soak's oracle").
	wantRestart = []cause{causeHypervisor, causeLibvirtLost}
)

// soakFaults are every fault the injector picks from. Detection bounds:
// libvirt's connection drop is pushed at once; a frozen daemon answers
// nothing until the next probe's deadline (interval + probe timeout), or,
// frozen between a probe's two calls, only the second call times out and
// the next probe says CRIT (interval + two probe timeouts, found by the
// 25-minute run); a dead link is found by three missed 1 s keepalives. Recovery: the
// scheduler reconnects within its backoff, capped at the probe interval.
var soakFaults = []faultKind{
	{name: "libvirtd-kill", apply: verbs("libvirtd kill N"), repair: verbs("libvirtd start N"),
		want: wantHypervisor, detect: 5 * time.Second, recover: 10 * time.Second},
	{name: "libvirtd-stop", apply: verbs("libvirtd stop N"), repair: verbs("libvirtd start N"),
		want: wantHypervisor, detect: 5 * time.Second, recover: 10 * time.Second},
	{name: "libvirtd-freeze", apply: verbs("libvirtd freeze N"), repair: verbs("libvirtd thaw N"),
		want: wantHypervisor, detect: soakInterval + 2*soakProbeTimeout + 2*time.Second, recover: 10 * time.Second},
	{name: "libvirtd-restart", apply: verbs("libvirtd restart N"),
		want: wantRestart, detect: 5 * time.Second, recover: 10 * time.Second, seenIfDown: lossGrace},
	{name: "sshd-hang", apply: verbs("sshd hang N"), repair: verbs("sshd thaw N"),
		want: wantUnreachable, detect: 6 * time.Second, recover: 10 * time.Second},
	{name: "partition", apply: verbs("net N partition"), repair: verbs("net N heal"),
		want: wantUnreachable, detect: 6 * time.Second, recover: 10 * time.Second},
	{name: "stall", apply: verbs("net N stall"), repair: verbs("net N heal"),
		want: wantUnreachable, detect: 6 * time.Second, recover: 10 * time.Second},
	{name: "vm-crash", apply: verbs("world N WORLD", "libvirtd restart N"),
		repair: verbs("world N default", "libvirtd restart N"),
		want:   wantVMs, detect: 12 * time.Second, recover: 12 * time.Second},
	{name: "latency", apply: verbs("net N latency 150ms 20ms"), repair: verbs("net N heal"),
		recover: 10 * time.Second},
	{name: "loss-5pct", apply: verbs("net N loss 5"), repair: verbs("net N heal"),
		recover: 10 * time.Second},
	{name: "rate-1mbit", apply: verbs("net N rate 1mbit"), repair: verbs("net N heal"),
		recover: 10 * time.Second},
}

func verbs(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
	}
	return out
}

// TestSoak is the chaos soak: the scheduler's Run against lab hosts 37-44
// while a seeded injector applies random faults to random hosts; the oracle
// (judge) checks every report, and the process's goroutines, FDs, heap and
// RSS are sampled and must not grow without bound. Behind -soak.
func TestSoak(t *testing.T) {
	if *soakFor <= 0 {
		t.Skip("the soak runs with -soak=DURATION (lab/soak.sh)")
	}
	l := labtest.Require(t)
	seed := *soakSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("soak for %s, seed %d (rerun with -soak-seed=%d)", *soakFor, seed, seed)
	first, last := soakRange(t)
	var ns []int
	for n := first; n <= last; n++ {
		ns = append(ns, n)
		l.NetRoute(t, n) // so that latency and stalls reach the connections opened next
	}
	cfg := labConfig(t, l, ns...)
	for i := range cfg.Hosts {
		cfg.Hosts[i].ProbeInterval, cfg.Hosts[i].ProbeTimeout = soakInterval, soakProbeTimeout
		cfg.Hosts[i].ConnectTimeout = soakConnect
	}
	f := newFleet(t, l, cfg)
	stop := f.run(t)
	rec := newRecorder(f.sched.Updates())
	rec.waitAllOK(t, cfg.Hosts, time.Minute)
	samples := startSampler(t, sampleEvery(*soakFor))
	truth := startTruth(l, cfg.Hosts)
	inj := &injector{t: t, lab: l, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), world: crashedWorld(t, l),
		daemonUp: func(h *soakHost) bool { return libvirtdPID(pidFile(l, h.name)) != 0 }}
	for _, n := range ns {
		inj.hosts = append(inj.hosts, &soakHost{n: n, name: l.Host(n).Name})
	}
	inj.run(*soakFor)
	// The last repairs must recover before Run stops, so the oracle judges
	// them too: wait for an OK from every host after the last repair.
	rec.waitAllOKSince(t, cfg.Hosts, time.Now(), 30*time.Second)
	stop()
	faults, reports := inj.faults, rec.all()
	v := judge(faults, reports, withEvidence(truth.stop()), inj.ends)
	res := samples.stop()
	t.Logf("reports %d\n%s", len(reports), v.summary())
	t.Logf("resources:\n%s", res.table())
	writeSoakReport(t, seed, v, res, len(reports))
	for _, m := range v.LabOutages {
		t.Logf("the lab broke (not judged as hvconsole's): %s", m)
	}
	for _, m := range inj.labRepairs {
		t.Logf("lab repair: %s", m)
	}
	for _, m := range v.Unseen {
		t.Logf("restart too short to be seen: %s", m)
	}
	for _, m := range v.Void {
		t.Logf("not judged (applied during the lab's own daemon outage): %s", m)
	}
	for _, m := range v.Missed {
		t.Errorf("missed: %s", m)
	}
	for _, m := range v.SlowRecoveries {
		t.Errorf("slow recovery: %s", m)
	}
	for _, m := range v.FalseAlarms {
		t.Errorf("false alarm: %s", m)
	}
	if err := res.growth(); err != nil {
		t.Error(err)
	}
}

// soakRange is -soak-hosts, or this package's reserved hosts. A soak of
// its own lab (lab/soak.sh) uses hosts 1-8 while the scenarios keep theirs.
func soakRange(t *testing.T) (first, last int) {
	t.Helper()
	if *soakHosts == "" {
		return firstHost, lastHost
	}
	a, b, ok := strings.Cut(*soakHosts, "-")
	first, err1 := strconv.Atoi(a)
	last, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || first < 1 || last < first || last > 254 {
		t.Fatalf("-soak-hosts %q: want FIRST-LAST, e.g. 1-8", *soakHosts)
	}
	return first, last
}

// crashedWorld writes the default world with web-1 crashed.
func crashedWorld(t *testing.T, l *labtest.Lab) string {
	t.Helper()
	def, err := os.ReadFile(filepath.Join(filepath.Dir(l.Script), "world-default.xml"))
	if err != nil {
		t.Fatal(err)
	}
	crashed := strings.Replace(string(def), "<test:runstate>1</test:runstate>", "<test:runstate>6</test:runstate>", 1)
	p := filepath.Join(t.TempDir(), "crashed.xml")
	if err := os.WriteFile(p, []byte(crashed), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// recorder keeps every report from Updates, as the oracle reads them.
type recorder struct {
	mu      sync.Mutex
	reports []observed
	ok      map[string]time.Time // latest OK report per host
	change  chan struct{}
	done    chan struct{}
}

func newRecorder(updates <-chan probes.HostReport) *recorder {
	r := &recorder{ok: map[string]time.Time{}, change: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for rep := range updates {
			r.mu.Lock()
			o := observed{host: rep.Host, at: rep.Time, status: rep.Status, cause: causeOf(rep)}
			if rep.Status != probes.OK { // the text only where the oracle may quote it: the heap samples measure the monitor
				o.text = describe(rep)
			}
			r.reports = append(r.reports, o)
			if rep.Status == probes.OK {
				r.ok[rep.Host] = rep.Time
			}
			r.mu.Unlock()
			select {
			case r.change <- struct{}{}:
			default:
			}
		}
	}()
	return r
}

// waitAllOK waits until every host has reported OK once; reports before
// that are dropped (the fleet's first connections are not under test).
func (r *recorder) waitAllOK(t *testing.T, hs []hosts.Host, within time.Duration) {
	t.Helper()
	r.waitOK(t, hs, time.Time{}, within, true)
}

// waitAllOKSince waits until every host has reported OK at or after since.
func (r *recorder) waitAllOKSince(t *testing.T, hs []hosts.Host, since time.Time, within time.Duration) {
	t.Helper()
	r.waitOK(t, hs, since, within, false)
}

func (r *recorder) waitOK(t *testing.T, hs []hosts.Host, since time.Time, within time.Duration, reset bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		all := true
		for _, h := range hs {
			all = all && !r.ok[h.Name].Before(since) && !r.ok[h.Name].IsZero()
		}
		if all && reset {
			r.reports = nil
		}
		r.mu.Unlock()
		if all {
			return
		}
		select {
		case <-r.change:
		case <-deadline:
			t.Fatalf("not every soak host reported OK within %s", within)
			return
		}
	}
}

// all waits for Updates to close and returns every report.
func (r *recorder) all() []observed {
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reports
}

// soakHost is one host's state in the injector.
type soakHost struct {
	n         int
	name      string
	fault     *faultKind
	index     int // of its fault in injector.faults
	repairAt  time.Time
	idleAfter time.Time
}

// injector applies random faults to random hosts: at most soakMaxFaulted
// at once, each for 15-30 s, a new one every 1-4 s while a host is free; a
// repaired host rests until its recovery bound has passed.
type injector struct {
	t      *testing.T
	lab    *labtest.Lab
	rng    *rand.Rand
	world  string
	hosts  []*soakHost
	faults []injected
	// ends are the verbs that ended a daemon on purpose: the oracle's
	// evidence that an outage was injected, not the lab's own.
	ends []span
	// daemonUp is the ground truth: whether a host's libvirtd lives.
	daemonUp func(*soakHost) bool
	// labRepairs are daemons the injector started again after they died
	// with no fault on their host (the lab broke).
	labRepairs []string
}

func (inj *injector) run(d time.Duration) {
	kinds := soakFaults
	end := time.Now().Add(d)
	next := time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for now := time.Now(); now.Before(end); now = <-tick.C {
		for _, h := range inj.hosts {
			if h.fault != nil && !now.Before(h.repairAt) {
				inj.repair(h)
			}
			if h.fault == nil && !inj.daemonUp(h) {
				inj.labRepair(h)
			}
		}
		// No new fault in the last stretch: each must have time to be
		// detected before the final repairs.
		if now.Before(next) || now.After(end.Add(-soakQuiet)) {
			continue
		}
		if h := inj.pick(now); h != nil {
			inj.apply(h, &kinds[inj.rng.IntN(len(kinds))])
			next = time.Now().Add(time.Second + time.Duration(inj.rng.Int64N(int64(3*time.Second))))
		}
	}
	for _, h := range inj.hosts {
		if h.fault != nil {
			inj.repair(h)
		}
	}
}

// pick returns a random free host when fewer than soakMaxFaulted are faulted.
func (inj *injector) pick(now time.Time) *soakHost {
	var free []*soakHost
	faulted := 0
	for _, h := range inj.hosts {
		switch {
		case h.fault != nil:
			faulted++
		case !now.Before(h.idleAfter):
			free = append(free, h)
		}
	}
	if faulted >= soakMaxFaulted || len(free) == 0 {
		return nil
	}
	return free[inj.rng.IntN(len(free))]
}

func (inj *injector) apply(h *soakHost, k *faultKind) {
	f := injected{host: h.name, kind: k.name, want: k.want, detect: k.detect, recover: k.recover,
		seenIfDown: k.seenIfDown, start: time.Now()}
	inj.runVerbs(h, k.apply)
	f.applied = time.Now()
	if len(k.repair) == 0 {
		f.instant, f.repaired = true, f.applied
		h.idleAfter = f.repaired.Add(k.recover + 2*time.Second)
		inj.faults = append(inj.faults, f)
		return
	}
	h.fault, h.index = k, len(inj.faults)
	h.repairAt = time.Now().Add(soakMinFault + time.Duration(inj.rng.Int64N(int64(soakMinFault))))
	inj.faults = append(inj.faults, f)
}

func (inj *injector) repair(h *soakHost) {
	inj.runVerbs(h, h.fault.repair)
	inj.faults[h.index].repaired = time.Now()
	h.idleAfter = time.Now().Add(h.fault.recover + 2*time.Second)
	h.fault = nil
}

// labRepair starts a host's libvirtd that died with no fault on the host,
// so the lab keeps its fleet; the truth sampler has recorded the outage.
func (inj *injector) labRepair(h *soakHost) {
	inj.labRepairs = append(inj.labRepairs, fmt.Sprintf("%s libvirtd found dead at %s with no fault on it: started",
		h.name, time.Now().Format("15:04:05.0")))
	inj.runVerbs(h, verbs("libvirtd start N"))
	h.idleAfter = time.Now().Add(outageSlack)
}

func (inj *injector) runVerbs(h *soakHost, vs [][]string) {
	for _, v := range vs {
		args := make([]string, len(v))
		for i, a := range v {
			switch a {
			case "N":
				a = strconv.Itoa(h.n)
			case "WORLD":
				a = inj.world
			}
			args[i] = a
		}
		ends := len(v) == 3 && v[0] == "libvirtd" && (v[1] == "kill" || v[1] == "stop" || v[1] == "restart")
		from := time.Now()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(inj.t.Context()), labtest.VerbTimeout)
		if _, err := inj.lab.Run(ctx, args...); err != nil {
			inj.t.Errorf("injector at %s: %v", time.Now().Format(time.TimeOnly), err)
		}
		cancel()
		if ends {
			inj.ends = append(inj.ends, span{host: h.name, from: from, to: time.Now()})
		}
	}
}

// writeSoakReport writes the figures as JSON when -soak-report is set.
func writeSoakReport(t *testing.T, seed uint64, v verdict, res resources, reports int) {
	t.Helper()
	if *soakReport == "" {
		return
	}
	doc := map[string]any{
		"duration": soakFor.String(), "seed": seed, "reports": reports,
		"injected": v.Injected, "benign": v.Benign, "detected": v.Detected,
		"missed": len(v.Missed), "slow_recoveries": len(v.SlowRecoveries), "false_alarms": len(v.FalseAlarms),
		"void": len(v.Void), "unseen_restarts": v.Unseen, "spontaneous_outages": v.Spontaneous, "explained_reports": v.Explained,
		"lab_outages":       v.LabOutages,
		"detect_median_ms":  quantile(v.DetectTimes, 0.5).Milliseconds(),
		"detect_p99_ms":     quantile(v.DetectTimes, 0.99).Milliseconds(),
		"detect_max_ms":     quantile(v.DetectTimes, 1).Milliseconds(),
		"recover_median_ms": quantile(v.RecoverTimes, 0.5).Milliseconds(),
		"recover_p99_ms":    quantile(v.RecoverTimes, 0.99).Milliseconds(),
		"recover_max_ms":    quantile(v.RecoverTimes, 1).Milliseconds(),
		"by_kind":           v.ByKind, "summary": v.summary(), "samples": res.samples,
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*soakReport, append(data, '\n'), 0o644); err != nil {
		t.Error(err)
	}
}

// truth samples, from outside the monitor, which libvirtd process each
// host runs (its pid file and /proc), so the oracle can tell a lab daemon
// that died on its own from a false alarm: a pid gone, or replaced by
// another between two samples, is an outage.
type truth struct {
	quit chan struct{}
	done chan struct{}
	mu   sync.Mutex
	pids map[string]int // latest sample: 0 while down
	outs []outage
}

func startTruth(l *labtest.Lab, hs []hosts.Host) *truth {
	tr := &truth{quit: make(chan struct{}), done: make(chan struct{}), pids: map[string]int{}}
	sample := func() {
		now := time.Now()
		tr.mu.Lock()
		defer tr.mu.Unlock()
		for _, h := range hs {
			pid := libvirtdPID(pidFile(l, h.Name))
			was, seen := tr.pids[h.Name]
			tr.pids[h.Name] = pid
			switch {
			case !seen && pid == 0: // down from the start
				tr.outs = append(tr.outs, outage{host: h.Name, from: now, to: now})
			case !seen:
			case was != 0 && pid != was: // gone, or replaced between two samples
				tr.outs = append(tr.outs, outage{host: h.Name, from: now, to: now})
			case was == 0 && pid != 0: // back
				tr.outs[tr.open(h.Name)].to = now
			}
		}
	}
	sample()
	go func() {
		defer close(tr.done)
		tick := time.NewTicker(truthEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				sample()
			case <-tr.quit:
				return
			}
		}
	}()
	return tr
}

// open is the index of host's latest outage (one exists while it is down).
func (tr *truth) open(host string) int {
	for i := len(tr.outs) - 1; i >= 0; i-- {
		if tr.outs[i].host == host {
			return i
		}
	}
	panic("truth: no outage open for " + host)
}

// stop ends the sampler; an outage still open ends now.
func (tr *truth) stop() []outage {
	close(tr.quit)
	<-tr.done
	now := time.Now()
	for i, o := range tr.outs {
		if tr.pids[o.host] == 0 && i == tr.open(o.host) {
			tr.outs[i].to = now
		}
	}
	return tr.outs
}

// pidFile is the lab host's libvirtd pid file.
func pidFile(l *labtest.Lab, host string) string {
	return filepath.Join(l.Dir, "hosts", host, "run", "libvirtd.pid")
}

// libvirtdPID is the pid in pidFile when it is a live process (a stopped
// one counts: a frozen daemon is a fault of its own), else 0.
func libvirtdPID(pidFile string) int {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The state follows the parenthesised command name.
	i := strings.LastIndexByte(string(stat), ')')
	if i > 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X' {
		return pid
	}
	return 0
}

// withEvidence adds to each outage what the kernel logged about a libvirtd
// near its start (a segfault, an OOM kill), or says it logged nothing.
// Other labs on the machine run libvirtd too: the line is evidence shown
// with the outage, not what decides it (the pid is).
func withEvidence(outs []outage) []outage {
	lines := kernelLines()
	for i, o := range outs {
		outs[i].evidence = "nothing about libvirtd within a second"
		for _, kl := range lines {
			if !kl.at.Before(o.from.Add(-time.Second-truthEvery)) && !kl.at.After(o.from.Add(time.Second)) {
				outs[i].evidence = kl.text
				break
			}
		}
	}
	return outs
}

type kernelLine struct {
	at   time.Time
	text string
}

// kernelLines are the kernel log's lines about libvirtd processes, with
// their times (dmesg's seconds since boot, placed by /proc/uptime).
func kernelLines() []kernelLine {
	out, err := exec.Command("dmesg").Output()
	if err != nil {
		return nil
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(up))
	if len(f) == 0 {
		return nil
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return nil
	}
	boot := time.Now().Add(-time.Duration(secs * float64(time.Second)))
	var ls []kernelLine
	for _, line := range strings.Split(string(out), "\n") {
		stamp, text, ok := strings.Cut(strings.TrimPrefix(line, "["), "]")
		if !ok || !strings.Contains(text, "libvirtd") {
			continue
		}
		s, err := strconv.ParseFloat(strings.TrimSpace(stamp), 64)
		if err != nil {
			continue
		}
		ls = append(ls, kernelLine{at: boot.Add(time.Duration(s * float64(time.Second))), text: strings.TrimSpace(text)})
	}
	return ls
}
