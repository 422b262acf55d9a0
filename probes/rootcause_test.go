package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// clock is a settable clock for the scheduler's Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func twoVMHost() *fakeHost {
	fh := healthyHost()
	fh.lv.doms = []fakeDom{{name: "db-main", state: 1, reason: 1, autostart: true}, {name: "web", state: 1, reason: 1}}
	return fh
}

// An unreachable host and a silent daemon keep the last VM list, marked as
// of when it was read: unknown VMs are never shown as zero.
func TestStaleVMListKept(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(*fakeHost)
		check string
		st    Status
	}{
		{"host unreachable", func(fh *fakeHost) { fh.connectErr = errors.New("connection refused") }, "ssh", CRIT},
		{"daemon down", func(fh *fakeHost) { fh.lv.callErr = errLibvirtdDown; fh.units = []string{"failed"} }, "hypervisor", CRIT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fh := twoVMHost()
			c := &clock{t: time.Date(2026, 11, 27, 2, 16, 40, 0, time.UTC)}
			cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{Now: c.now})
			defer s.Close()
			first := s.Round(t.Context(), cfg.Hosts)[0]
			if len(first.VMs) != 2 || !first.VMsAsOf.IsZero() {
				t.Fatalf("first round: VMs %v as of %v", first.VMs, first.VMsAsOf)
			}
			c.add(time.Minute)
			fh.mu.Lock()
			tc.fault(fh)
			fh.mu.Unlock()
			rep := s.Round(t.Context(), cfg.Hosts)[0]
			wantCheck(t, rep, tc.check, tc.st, "")
			if len(rep.VMs) != 2 || !rep.VMsAsOf.Equal(first.Time) {
				t.Fatalf("VMs %v as of %v, want the 2 VMs as of %v", rep.VMs, rep.VMsAsOf, first.Time)
			}
		})
	}
}

// A host whose connect failed is dialed at once on its next probe, not
// after the pool's backoff: it turns OK within one probe interval.
func TestRecoveryNotHeldByBackoff(t *testing.T) {
	fh := healthyHost()
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	fh.connectErr = errors.New("connection refused")
	s.Round(t.Context(), cfg.Hosts)
	before := fh.reconnects.Load()
	fh.mu.Lock()
	fh.connectErr = nil
	fh.mu.Unlock()
	if rep := s.Round(t.Context(), cfg.Hosts)[0]; rep.Status != OK {
		t.Fatalf("after the host came back: %v %+v", rep.Status, rep.Checks)
	}
	if fh.reconnects.Load() == before {
		t.Fatal("the probe did not ask the pool to dial at once")
	}
}

// A key that changes under a live connection turns the host CRIT on the
// next re-check, and the connection is dropped.
func TestHostKeyRecheck(t *testing.T) {
	fh := healthyHost()
	c := &clock{t: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)}
	cfg, tr, _ := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	cfg.HostKeyRecheck = time.Minute
	var checks atomic.Int64
	var refused atomic.Value // error
	tr.VerifyHostKeyFn = func(context.Context, hosts.Host) error {
		checks.Add(1)
		err, _ := refused.Load().(error)
		return err
	}
	tr.ClassifyFn = func(error) (Status, string) { return CRIT, "host key changed: fix known_hosts:2" }
	s := NewScheduler(cfg, tr, SchedulerOptions{Now: c.now})
	s.open = tr.fakeOpen
	defer s.Close()
	if rep := s.Round(t.Context(), cfg.Hosts)[0]; rep.Status != OK || checks.Load() != 0 {
		t.Fatalf("fresh connection: %v, %d re-checks", rep.Status, checks.Load())
	}
	// The first re-check comes firstKeyRecheckOffset early, as seeded by
	// the host's name.
	due := time.Minute - firstKeyRecheckOffset("hv1", time.Minute)
	c.add(due - time.Second)
	s.Round(t.Context(), cfg.Hosts)
	if checks.Load() != 0 {
		t.Fatal("re-checked before its first re-check was due")
	}
	refused.Store(errors.New("key mismatch"))
	c.add(time.Second)
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	wantCheck(t, rep, "ssh", CRIT, "host key changed")
	wantCheck(t, rep, "hypervisor", UNKNOWN, SummaryKeyRefused)
	if checks.Load() != 1 || fh.reconnects.Load() == 0 {
		t.Fatalf("%d re-checks, %d reconnects; want the connection dropped after one", checks.Load(), fh.reconnects.Load())
	}
}

// A daemon that dies under a live link is one event: the probe that
// follows the loss at once explains it within LossGrace (an hour here, so
// the test does not depend on speed), and its CRIT with the cause is the
// first report published; the held "checking the link" report is never
// published after it (the prober settles it before publishing). A dead
// link is not held: see TestPushLossPublishesAtOnce.
func TestDaemonDeathIsOneEvent(t *testing.T) {
	fh := healthyHost()
	s, _, first, stop := pushRun(t, fh, SchedulerOptions{LossGrace: time.Hour})
	defer stop()
	if first.Status != OK {
		t.Fatalf("first report %v %+v", first.Status, first.Checks)
	}
	fh.mu.Lock()
	fh.openErr, fh.units = errLibvirtdDown, []string{"failed"}
	fh.timesOut = timesFailed
	fh.mu.Unlock()
	currentSession(t, s).kill()
	rep := within(t, s.Updates(), "the report after the loss")
	wantCheck(t, rep, "hypervisor", CRIT, "hypervisor not running: libvirtd failed")
	wantCheck(t, rep, "ssh", OK, "")
	if hv := checkOf(t, rep, "hypervisor"); hv.Since.IsZero() {
		t.Errorf("the CRIT carries no host time of the failure")
	}
}

// A daemon that dies under a live link is CRIT with its cause before the
// full probe that follows the loss answers (held here in its connect for
// the rest of the test): the socket dialled again over the same SSH
// connection is refused, and one exec names the failed unit and its time
// (push_explain.go).
func TestDaemonDeathToldBeforeTheFullProbe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dying   int
		dialErr error
		units   []string
		want    Status
	}{
		{"socket refused, unit failed", 0, fmt.Errorf("fake: %w", errChannelRefused), []string{"failed"}, CRIT},
		{"the dying daemon's socket closes, then refuses", 1, fmt.Errorf("fake: %w", errChannelRefused), []string{"failed"}, CRIT},
		{"a socket that closes twice: the full probe decides", 2, fmt.Errorf("fake: %w", errChannelRefused), []string{"failed"}, UNKNOWN},
		{"socket refused, unit active: the full probe decides", 0, fmt.Errorf("fake: %w", errChannelRefused), []string{"active"}, UNKNOWN},
		{"no answer to the dial: the full probe decides", 0, errCallTimeout, []string{"failed"}, UNKNOWN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fh := healthyHost()
			s, _, first, stop := pushRun(t, fh, SchedulerOptions{LossGrace: 50 * time.Millisecond})
			defer stop()
			wantHealthy(t, first)
			fh.mu.Lock()
			fh.dialErr, fh.dialDying, fh.units, fh.timesOut = tc.dialErr, tc.dying, tc.units, timesFailed
			fh.mu.Unlock()
			holdConnect(fh)
			currentSession(t, s).kill()
			rep := within(t, s.Updates(), "the report after the loss")
			wantCheck(t, rep, "ssh", OK, "")
			if tc.want == CRIT {
				wantCheck(t, rep, "hypervisor", CRIT, "hypervisor not running: libvirtd failed")
				if hv := checkOf(t, rep, "hypervisor"); hv.Since.IsZero() {
					t.Errorf("the CRIT carries no host time of the failure")
				}
			} else {
				// nothing settled: the held "checking the link" report
				wantCheck(t, rep, "hypervisor", UNKNOWN, summaryCheckingLink)
			}
			within(t, fh.connectEntered, "the full probe that follows")
		})
	}
}

// A daemon that dies again soon after it came back (the reconnect backs
// off, so no full probe follows at once) is CRIT with its cause at once
// too, not "checking the link" until the backoff ends.
func TestDaemonDeathWithinBackoffToldAtOnce(t *testing.T) {
	fh := healthyHost()
	s, _, first, stop := pushRun(t, fh, SchedulerOptions{LossGrace: time.Hour, ReconnectMin: time.Hour, ReconnectMax: 2 * time.Hour})
	defer stop()
	wantHealthy(t, first)
	currentSession(t, s).kill() // a restart: the probe that follows reconnects
	if rep := within(t, s.Updates(), "the report after the restart"); rep.Status != OK {
		t.Fatalf("after the restart: %v %+v", rep.Status, rep.Checks)
	}
	fh.mu.Lock()
	fh.dialErr, fh.units, fh.timesOut = fmt.Errorf("fake: %w", errChannelRefused), []string{"failed"}, timesFailed
	fh.mu.Unlock()
	currentSession(t, s).kill()
	rep := within(t, s.Updates(), "the report after the second death")
	wantCheck(t, rep, "hypervisor", CRIT, "hypervisor not running: libvirtd failed")
	wantCheck(t, rep, "ssh", OK, "")
}

// closesSoon tells a socket whose far end closes (a dying daemon's) from
// one that stays open and silent (a live daemon's), and closes both.
func TestClosesSoon(t *testing.T) {
	for _, tc := range []struct {
		name      string
		farCloses bool
	}{{"far end closes", true}, {"far end stays open", false}} {
		t.Run(tc.name, func(t *testing.T) {
			near, far := net.Pipe()
			defer far.Close()
			if tc.farCloses {
				far.Close()
			}
			if got := closesSoon(near, 20*time.Millisecond); got != tc.farCloses {
				t.Errorf("closesSoon = %v, want %v", got, tc.farCloses)
			}
			if _, err := near.Write([]byte{0}); err == nil {
				t.Error("the conn is still open")
			}
		})
	}
}

// The first key re-check of a new connection comes up to half of
// host_key_recheck early, the same for a host on every reconnect, and a
// fleet connected at once comes due spread over that half.
func TestFirstKeyRecheckOffset(t *testing.T) {
	for _, every := range []time.Duration{0, 1, time.Second, time.Minute, 24 * time.Hour} {
		const fleetSize, buckets = 1000, 10
		var seen [buckets]int
		for i := range fleetSize {
			name := fmt.Sprintf("hv-%04d", i)
			off := firstKeyRecheckOffset(name, every)
			if off < 0 || (every >= 2 && off >= every/2) || (every < 2 && off != 0) {
				t.Fatalf("offset(%s, %v) = %v, want in [0, %v)", name, every, off, every/2)
			}
			if again := firstKeyRecheckOffset(name, every); again != off {
				t.Fatalf("offset(%s, %v) = %v then %v: not seeded by the host", name, every, off, again)
			}
			if every >= time.Second {
				seen[int(off*buckets/(every/2))]++
			}
		}
		for b, n := range seen {
			if every >= time.Second && (n < fleetSize/buckets/2 || n > fleetSize/buckets*2) {
				t.Errorf("every %v: %d of %d hosts due in tenth %d of the spread, want about %d", every, n, fleetSize, b, fleetSize/buckets)
			}
		}
	}
}
