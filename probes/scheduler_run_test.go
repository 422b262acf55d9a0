package probes

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// fakeTimers hands the probers timers that fire only when a test says so.
type fakeTimers struct{ made chan *fakeTimer }

type fakeTimer struct {
	c chan time.Time
	d time.Duration
}

func (f *fakeTimers) new(d time.Duration) timer {
	t := &fakeTimer{c: make(chan time.Time), d: d}
	f.made <- t
	return t
}
func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool          { return true }

// within waits for ch under a generous bound so a bug fails instead of hanging.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// startRun runs s.Run in the background and returns a stop function that
// cancels it and checks that it returned and closed Updates.
func startRun(t *testing.T, s *Scheduler) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := within(t, errc, "Run to return"); !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
		for range s.Updates() { // must be closed, possibly after stale reports
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestRunPeriodicAndPause(t *testing.T) {
	fh := healthyHost()
	_, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	ft := &fakeTimers{made: make(chan *fakeTimer, 4)}
	s.newTimer = ft.new
	stop := startRun(t, s)
	defer stop()

	first := within(t, ft.made, "first timer")
	if first.d <= 0 || first.d > time.Hour+time.Millisecond {
		t.Errorf("jittered start %v outside (0, interval]", first.d)
	}
	s.SetPaused(true)
	first.c <- time.Now()
	// A paused prober arms no timer: it waits for the resume. A refresh
	// still probes, and the prober handles it only after the paused tick.
	s.Refresh("hv1")
	if rep := within(t, s.Updates(), "report for a refresh while paused"); rep.Host != "hv1" {
		t.Errorf("refresh report for %s", rep.Host)
	}
	select {
	case tm := <-ft.made:
		t.Fatalf("paused prober armed a %v timer", tm.d)
	default:
	}
	if n := fh.connects.Load(); n != 1 {
		t.Fatalf("paused tick probed the host (%d connects, want the refresh's 1)", n)
	}
	s.SetPaused(false)
	second := within(t, ft.made, "timer after resume")
	if second.d <= 0 || second.d > time.Hour+time.Millisecond {
		t.Errorf("jittered resume %v outside (0, interval]", second.d)
	}
	second.c <- time.Now()
	rep := within(t, s.Updates(), "report after resume")
	if rep.Host != "hv1" || rep.Status != OK {
		t.Errorf("report %s %v", rep.Host, rep.Status)
	}
	if third := within(t, ft.made, "timer after a probe"); third.d != time.Hour {
		t.Errorf("next interval %v, want the host's ProbeInterval", third.d)
	}
}

// Pause and resume are idempotent, and a resume wakes every paused prober.
func TestSetPausedTwice(t *testing.T) {
	_, _, s := fleet([]string{"hv1"}, []*fakeHost{healthyHost()}, SchedulerOptions{})
	s.SetPaused(false)
	if s.pausedUntil() != nil {
		t.Fatal("resume before any pause left Run paused")
	}
	s.SetPaused(true)
	r := s.pausedUntil()
	s.SetPaused(true)
	if r == nil || s.pausedUntil() != r {
		t.Fatal("a second pause replaced the resume channel paused probers wait on")
	}
	s.SetPaused(false)
	s.SetPaused(false)
	select {
	case <-r:
	default:
		t.Fatal("resume did not wake the paused probers")
	}
	if s.pausedUntil() != nil || s.paused.Load() {
		t.Fatal("still paused after resume")
	}
}

func TestRunTwice(t *testing.T) {
	_, _, s := fleet([]string{"hv1"}, []*fakeHost{healthyHost()}, SchedulerOptions{})
	ft := &fakeTimers{made: make(chan *fakeTimer, 4)}
	s.newTimer = ft.new
	stop := startRun(t, s)
	defer stop()
	within(t, ft.made, "the first Run to start")
	if err := s.Run(t.Context()); !errors.Is(err, errAlreadyRunning) {
		t.Errorf("second Run = %v", err)
	}
}

// A refresh while the host's probe is in flight is dropped (k9s).
func TestRunRefreshDedupe(t *testing.T) {
	fh := healthyHost()
	fh.hangConnect = true
	fh.connectEntered = make(chan struct{}, 1)
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	cfg.Hosts[0].ProbeTimeout = time.Minute
	cfg.Hosts[0].ConnectTimeout = time.Minute
	s.newTimer = (&fakeTimers{made: make(chan *fakeTimer, 4)}).new
	stop := startRun(t, s)
	s.Refresh()
	within(t, fh.connectEntered, "probe start")
	for range 5 {
		s.Refresh("hv1")
	}
	s.Refresh("no-such-host")
	stop()
	if n := fh.connects.Load(); n != 1 {
		t.Errorf("connects = %d, want 1: refreshes during a probe must be dropped", n)
	}
}

// A host whose connect hangs never delays the others' reports.
func TestRunHungHostDoesNotDelayOthers(t *testing.T) {
	hung := healthyHost()
	hung.hangConnect = true
	hung.connectEntered = make(chan struct{}, 1)
	cfg, _, s := fleet([]string{"a", "hung", "b"}, []*fakeHost{healthyHost(), hung, healthyHost()}, SchedulerOptions{})
	cfg.Hosts[1].ProbeTimeout = time.Minute
	cfg.Hosts[1].ConnectTimeout = time.Minute
	s.newTimer = (&fakeTimers{made: make(chan *fakeTimer, 4)}).new
	stop := startRun(t, s)
	defer stop()
	s.Refresh("hung")
	within(t, hung.connectEntered, "hung host's connect")
	s.Refresh()
	got := map[string]bool{}
	for len(got) < 2 {
		rep := within(t, s.Updates(), "the healthy hosts' reports")
		if rep.Host == "hung" {
			t.Fatalf("hung host reported before its deadline")
		}
		got[rep.Host] = rep.Status == OK
	}
	if !got["a"] || !got["b"] || hung.connectReturned.Load() {
		t.Errorf("reports %v, hung connect returned %v", got, hung.connectReturned.Load())
	}
}

// A periodic probe still waiting for a slot when Run is paused is dropped:
// with thousands of hosts, thousands wait, and a paused fleet does no
// periodic work.
func TestRunPausedDropsWaitingPeriodicProbe(t *testing.T) {
	fh := healthyHost()
	_, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	s.slots = make(chan struct{}, 1)
	s.slots <- struct{}{} // every slot taken, as by other hosts' probes
	ft := &fakeTimers{made: make(chan *fakeTimer, 4)}
	s.newTimer = ft.new
	stop := startRun(t, s)
	defer stop()
	within(t, ft.made, "the first timer").c <- time.Now()
	st := s.state("hv1")
	for deadline := time.Now().Add(10 * time.Second); !st.running.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("the periodic probe did not start waiting for a slot")
		}
		runtime.Gosched()
	}
	s.SetPaused(true)
	<-s.slots
	within(t, ft.made, "the prober's next timer")
	if n := fh.connects.Load(); n != 0 {
		t.Errorf("the host was probed %d times after the pause", n)
	}
}
