package reliability

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Lab hosts this package owns (hosts/labtest's package doc).
const (
	firstHost = 37
	lastHost  = 44
)

// lossGrace is the scheduler's LossGrace (its default, named here because
// the soak's oracle rates a restart by it).
const lossGrace = time.Second

// fleet is a scheduler over a fresh SSH pool built as the console builds
// them (probes.PoolOptions), for the lab hosts numbered ns.
type fleet struct {
	lab   *labtest.Lab
	cfg   *hosts.Config
	pool  *sshx.Pool
	sched *probes.Scheduler
}

// labConfig loads the lab inventory with only the hosts numbered ns, each
// probed for ssh, hypervisor and vms (this machine has no /dev/kvm), at the
// inventory's defaults, which keepalive_interval is not set in: the
// default applies.
func labConfig(t *testing.T, l *labtest.Lab, ns ...int) *hosts.Config {
	t.Helper()
	cfg, err := hosts.Load(l.ConfigPath)
	if err != nil {
		t.Fatalf("lab config: %v", err)
	}
	var hs []hosts.Host
	for _, n := range ns {
		if !l.Has(n) {
			t.Fatalf("lab host %d is not up: run lab/lab.sh up %d or more", n, lastHost)
		}
		i := slices.IndexFunc(cfg.Hosts, func(h hosts.Host) bool { return h.Name == l.Host(n).Name })
		if i < 0 {
			t.Fatalf("lab host %d not in %s", n, l.ConfigPath)
		}
		h := cfg.Hosts[i]
		h.Checks = []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}
		hs = append(hs, h)
	}
	cfg.Hosts = hs
	return cfg
}

// newFleet builds the scheduler and pool for cfg; both are closed when the
// test ends.
func newFleet(t *testing.T, l *labtest.Lab, cfg *hosts.Config) *fleet {
	t.Helper()
	pool := sshx.NewPool(probes.PoolOptions(cfg))
	s := probes.NewScheduler(cfg, probes.NewSSHTransport(pool),
		probes.SchedulerOptions{LossGrace: lossGrace})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("scheduler close: %v", err)
		}
		pool.Close()
	})
	return &fleet{lab: l, cfg: cfg, pool: pool, sched: s}
}

// run starts the scheduler's Run; the returned stop ends it and waits.
func (f *fleet) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.sched.Run(ctx) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("Run did not return 30 s after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitFor reads reports until one satisfies ok or the deadline passes; it
// returns that report and when it came. Reports for other hosts are passed
// to seen (may be nil).
func waitFor(t *testing.T, updates <-chan probes.HostReport, within time.Duration, what string,
	ok func(probes.HostReport) bool, seen func(probes.HostReport)) (probes.HostReport, time.Time) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case rep, open := <-updates:
			if !open {
				t.Fatalf("updates closed while waiting for %s", what)
			}
			if ok(rep) {
				return rep, time.Now()
			}
			if seen != nil {
				seen(rep)
			}
		case <-deadline.C:
			t.Fatalf("no report within %s: %s", within, what)
			return probes.HostReport{}, time.Time{}
		}
	}
}

// waitUnreachable waits for a CRIT unreachable report (as waitFor), failing
// the test on any report before it that is not OK: a partitioned host must
// be told unreachable, never blamed for something else first.
func waitUnreachable(t *testing.T, updates <-chan probes.HostReport, within time.Duration) (probes.HostReport, time.Time) {
	t.Helper()
	return waitFor(t, updates, within, "CRIT unreachable", func(r probes.HostReport) bool {
		return causeOf(r) == causeUnreachable
	}, func(r probes.HostReport) {
		if r.Status != probes.OK {
			t.Errorf("before the unreachable report: %s", describe(r))
		}
	})
}

// checkOf returns the named check of rep (zero when absent).
func checkOf(rep probes.HostReport, name string) probes.Result {
	r, _ := rep.Check(name)
	return r
}

// hasCheck reports whether rep's named check has status st and a summary
// starting with prefix.
func hasCheck(rep probes.HostReport, name string, st probes.Status, prefix string) bool {
	r, ok := rep.Check(name)
	return ok && r.Status == st && strings.HasPrefix(r.Summary, prefix)
}

// describe is a one-line view of a report for test logs.
func describe(rep probes.HostReport) string {
	var parts []string
	for _, c := range rep.Checks {
		parts = append(parts, c.Check+"="+c.Status.String()+" "+c.Summary)
	}
	return rep.Host + " " + rep.Status.String() + ": " + strings.Join(parts, "; ")
}

// labtestRequire is labtest.Require for this package's hosts: the lab must
// run hosts firstHost..lastHost.
func labtestRequire(t *testing.T) *labtest.Lab {
	t.Helper()
	l := labtest.Require(t)
	if !l.Has(lastHost) {
		t.Fatalf("lab host %d is not up: run lab/lab.sh up %d or more", lastHost, lastHost)
	}
	return l
}
