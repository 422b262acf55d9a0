package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"go.uber.org/goleak"

	"github.com/hvconsole/hvconsole/hosts"
)

// pushRun starts Run over one fake host with timers the test fires, waits
// for the host's first report (which opens and subscribes its session) and
// returns the scheduler, the timers and a stop function that also checks
// that no goroutine is left behind.
func pushRun(t *testing.T, fh *fakeHost, opts SchedulerOptions) (*Scheduler, *fakeTimers, HostReport, func()) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	_, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, opts)
	ft := &fakeTimers{made: make(chan *fakeTimer, 16)}
	s.newTimer = ft.new
	s.jitter = func(d time.Duration) time.Duration { return d - 1 } // the top of the range
	stop := startRun(t, s)
	within(t, ft.made, "the first interval timer")
	s.Refresh("hv1")
	first := within(t, s.Updates(), "the first report")
	return s, ft, first, func() {
		t.Helper()
		stop()
		goleak.VerifyNone(t, ignore)
	}
}

// wantHealthy fails the test unless first, a host's first report, is OK.
func wantHealthy(t *testing.T, first HostReport) {
	t.Helper()
	if first.Status != OK {
		t.Fatalf("first report %v %+v", first.Status, first.Checks)
	}
}

// holdConnect makes every later Connect of fh block until its ctx ends
// (signalling connectEntered), so the full probe after a loss never answers.
func holdConnect(fh *fakeHost) {
	fh.mu.Lock()
	defer fh.mu.Unlock()
	fh.hangConnect, fh.connectEntered = true, make(chan struct{}, 1)
}

func currentSession(t *testing.T, s *Scheduler) *lvSession {
	t.Helper()
	sess := labSession(s, hosts.Host{Name: "hv1"})
	if sess == nil {
		t.Fatal("no libvirt session after a probe")
	}
	return sess
}

// A dying libvirt stream or SSH link is published within LossGrace, before
// the probe that explains it (held here in its connect) can answer, and by
// the root-cause rule: a lost libvirt stream is not yet a dead daemon (the link
// is being checked), a dead link is the host's cause (unreachable, every
// check behind it UNKNOWN). Either way the last VM list stays, as of when
// it was read.
func TestPushLossPublishesAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name          string
		cut           func(*lvSession, *fakeHost)
		sshSt, hostSt Status
		hvWords, vmsW string
		kvmSt         Status
	}{
		{"libvirt stream dies", func(s *lvSession, _ *fakeHost) { s.kill() }, OK, UNKNOWN,
			summaryCheckingLink, "VM list unavailable", OK},
		{"ssh keepalive fails", func(_ *lvSession, fh *fakeHost) { fh.remote.drop() }, CRIT, CRIT,
			SummaryUnreachable, SummaryUnreachable, UNKNOWN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fh := healthyHost()
			s, _, first, stop := pushRun(t, fh, SchedulerOptions{LossGrace: 50 * time.Millisecond})
			defer stop()
			wantHealthy(t, first)
			holdConnect(fh)
			start := time.Now()
			tc.cut(currentSession(t, s), fh)
			rep := within(t, s.Updates(), "the connection-lost report")
			t.Logf("loss published after %v", time.Since(start))
			wantCheck(t, rep, "hypervisor", UNKNOWN, tc.hvWords)
			wantCheck(t, rep, "vms", UNKNOWN, tc.vmsW)
			wantCheck(t, rep, "ssh", tc.sshSt, "")
			wantCheck(t, rep, "kvm", tc.kvmSt, "")
			if rep.Status != tc.hostSt || len(rep.VMs) != len(first.VMs) ||
				!rep.VMsAsOf.Equal(first.Time) {
				t.Errorf("host status %v, VMs %v as of %v; want %v and the last list as of %v",
					rep.Status, rep.VMs, rep.VMsAsOf, tc.hostSt, first.Time)
			}
			within(t, fh.connectEntered, "the probe that explains the loss")
		})
	}
}

// After a loss the reconnect backs off: immediate, then ReconnectMin
// doubling up to ReconnectMax; a success ends it, and a connection that
// drops again soon after does not get another immediate probe.
func TestPushReconnectBackoff(t *testing.T) {
	fh := healthyHost()
	s, ft, _, stop := pushRun(t, fh, SchedulerOptions{ReconnectMin: time.Second, ReconnectMax: 4 * time.Second})
	defer stop()
	fh.mu.Lock()
	fh.openErr = errLibvirtdDown
	fh.mu.Unlock()
	currentSession(t, s).kill()
	// The loss report and the immediate probe's report may merge in the
	// mailbox (newest wins): wait for the probe's.
	for i := 0; ; i++ {
		rep := within(t, s.Updates(), "the immediate probe's report")
		if strings.Contains(checkOf(t, rep, "hypervisor").Summary, "not answering") {
			break
		}
		if i == 1 {
			t.Fatalf("no probe after the loss: %+v", rep.Checks)
		}
	}
	var got []time.Duration
	for range 4 {
		tm := within(t, ft.made, "a retry timer")
		got = append(got, tm.d)
		tm.c <- time.Now()
		wantCheck(t, within(t, s.Updates(), "a retry's report"), "hypervisor", CRIT, "libvirt API not answering")
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	if !slicesEqual(got, want) {
		t.Errorf("retry delays %v, want %v", got, want)
	}
	fh.mu.Lock()
	fh.openErr = nil
	fh.mu.Unlock()
	tm := within(t, ft.made, "the next retry timer")
	tm.c <- time.Now()
	if rep := within(t, s.Updates(), "the reconnected report"); rep.Status != OK {
		t.Fatalf("after reconnect: %v %+v", rep.Status, rep.Checks)
	}
	opens := fh.opens.Load()
	currentSession(t, s).kill() // drops again at once: no immediate probe
	wantCheck(t, within(t, s.Updates(), "second loss report"), "hypervisor", UNKNOWN, summaryCheckingLink)
	if tm := within(t, ft.made, "the retry after a flap"); tm.d != 4*time.Second {
		t.Errorf("retry after a flap %v, want the backoff's ceiling", tm.d)
	}
	if n := fh.opens.Load(); n != opens {
		t.Errorf("a flapping connection was reopened at once (%d opens)", n-opens)
	}
}

var errLibvirtdDown = &libvirt.Error{Code: 38, Message: "failed to connect socket"}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A lifecycle event re-reads the domains only (no SSH connect, no exec)
// and publishes the new vms check naming the event.
func TestPushEventUpdatesVMs(t *testing.T) {
	fh := healthyHost()
	fh.lv.doms = []fakeDom{
		{name: "db-1", state: int32(libvirt.DomainRunning), reason: int32(libvirt.DomainRunningBooted)},
		{name: "web-1", state: int32(libvirt.DomainRunning), reason: int32(libvirt.DomainRunningBooted)},
	}
	s, _, first, stop := pushRun(t, fh, SchedulerOptions{})
	defer stop()
	wantCheck(t, first, "vms", OK, "2 VMs: 2 running")
	connects, execs := fh.connects.Load(), fh.execs.Load()

	fh.lv.mu.Lock()
	fh.lv.doms[1].state, fh.lv.doms[1].reason = int32(libvirt.DomainPaused), int32(libvirt.DomainPausedIoerror)
	fh.lv.mu.Unlock()
	start := time.Now()
	if n := fh.lv.emit("web-1", int32(libvirt.DomainEventSuspended), int32(libvirt.DomainEventSuspendedIoerror)); n != 1 {
		t.Fatalf("event reached %d subscriptions, want 1", n)
	}
	rep := within(t, s.Updates(), "the event's report")
	t.Logf("event published after %v", time.Since(start))
	wantCheck(t, rep, "vms", WARN, "1 paused (ioerror)")
	if vms := checkOf(t, rep, "vms"); !strings.Contains(vms.Details, "events: web-1 suspended (ioerror)") {
		t.Errorf("vms details %q do not name the event", vms.Details)
	}
	wantCheck(t, rep, "hypervisor", OK, "libvirt ")
	if len(rep.VMs) != 2 || rep.VMs[1].State != "paused" || rep.Status != WARN {
		t.Errorf("VMs %+v, status %v", rep.VMs, rep.Status)
	}
	if c, e := fh.connects.Load(), fh.execs.Load(); c != connects || e != execs {
		t.Errorf("an event ran a whole probe: %d connects, %d execs", c-connects, e-execs)
	}
}

// A daemon that refuses lifecycle events still gets probed and its
// session kept: the rounds poll instead.
func TestPushEventsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"libvirt error", libvirt.Error{Code: 3, Message: "this function is not supported"}},
		{"unknown procedure", libvirt.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fh := healthyHost()
			fh.lv.eventsErr = tc.err
			s, _, first, stop := pushRun(t, fh, SchedulerOptions{})
			defer stop()
			if first.Status != OK {
				t.Errorf("report %v %+v", first.Status, first.Checks)
			}
			if !currentSession(t, s).alive() {
				t.Error("session dropped because events were refused")
			}
		})
	}
}

// A subscription that breaks the connection fails the probe like any
// other call; the session is closed, not kept.
func TestPushEventsBrokenConnection(t *testing.T) {
	fh := healthyHost()
	fh.lv.eventsErr = libvirt.ErrInterrupted
	s, _, first, stop := pushRun(t, fh, SchedulerOptions{})
	defer stop()
	wantCheck(t, first, "hypervisor", CRIT, "connection lost during the call")
	if sess := labSession(s, hosts.Host{Name: "hv1"}); sess != nil {
		t.Error("a session whose subscription broke was kept")
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		min, max time.Duration
		jitter   func(time.Duration) time.Duration
		want     []time.Duration
	}{
		{"top of range", time.Second, 5 * time.Second, func(d time.Duration) time.Duration { return d - 1 },
			[]time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"bottom of range", time.Second, 8 * time.Second, func(time.Duration) time.Duration { return 0 },
			[]time.Duration{0, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		{"max below min", time.Second, 300 * time.Millisecond, func(d time.Duration) time.Duration { return d - 1 },
			[]time.Duration{0, 300 * time.Millisecond, 300 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := backoff{min: tc.min, max: tc.max, jitter: tc.jitter}
			var got []time.Duration
			for range tc.want {
				got = append(got, b.next())
			}
			if !slicesEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("real jitter stays in range and never overflows", func(t *testing.T) {
		b := backoff{min: time.Second, max: time.Minute}
		for i := range 200 {
			d := b.next()
			if i > 0 && (d < 500*time.Millisecond || d > time.Minute) {
				t.Fatalf("attempt %d: %v out of range", i, d)
			}
		}
	})
}

// Under Run against the simulated fleet the vms check is rated on the
// domains and lists the networks, and the session stays open with its
// event subscription (refused procedures are covered with the fake).
func TestSimPushNetworksAndSession(t *testing.T) {
	f, s, hs := simFleet(t, 1)
	stop := startRun(t, s)
	defer stop()
	s.Refresh()
	rep := within(t, s.Updates(), "the simulated host's report")
	snap := f.Host(hs[0].Name).Snapshot()
	wantSt, wantSum, _ := VMSummary(simExpected(snap))
	wantCheck(t, rep, "vms", wantSt, wantSum)
	wantCheck(t, rep, "hypervisor", OK, "libvirt ")
	if d := checkOf(t, rep, "vms").Details; !strings.Contains(d, "networks: default (active, autostart)") {
		t.Errorf("vms details %q", d)
	}
	if sess := labSession(s, hs[0]); sess == nil || !sess.alive() {
		t.Error("the session was dropped")
	}
}
