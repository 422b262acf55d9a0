package probes

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// Run probes every inventory host continuously, each on its own
// ProbeInterval with a jittered first probe so a fleet does not pulse, and
// sends one report per host per probe to Updates. It returns ctx's error
// once every goroutine it started has exited, and closes Updates then.
// Run may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errAlreadyRunning
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.updates.forward(ctx) })
	s.mu.Lock()
	s.run = &runState{ctx: ctx, wg: &wg, probers: map[string]*proberHandle{}}
	for _, h := range s.cfg.Hosts {
		s.startProberLocked(h)
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock() // UpdateHosts starts nothing once Run is leaving
	s.run.leaving = true
	s.mu.Unlock()
	wg.Wait()
	return ctx.Err()
}

// Updates is the stream of reports from Run. Policy: a prober never waits
// for the reader. Reports queue per host and the newest replaces an older
// one still queued for the same host, so a slow reader skips stale reports
// but always gets every host's latest; at most UpdatesBuffer reports sit in
// the channel itself. The channel is closed when Run returns.
func (s *Scheduler) Updates() <-chan HostReport { return s.updates.out }

// Refresh asks Run to probe the named hosts now (all hosts when none are
// named). A host whose probe is in flight is skipped: that probe is the
// fresh answer. Unknown names are ignored. Refresh never blocks.
func (s *Scheduler) Refresh(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(names) == 0 {
		for _, h := range s.cfg.Hosts {
			names = append(names, h.Name)
		}
	}
	for _, n := range names {
		st, ok := s.states[n]
		if !ok || st.running.Load() {
			continue
		}
		select {
		case st.refresh <- struct{}{}:
		default: // one already pending
		}
	}
}

// RefreshBackups runs the backups check of the named hosts (all when none
// are named) in their next probe, and asks for that probe now.
func (s *Scheduler) RefreshBackups(names ...string) {
	s.mu.Lock()
	if len(names) == 0 {
		for _, h := range s.cfg.Hosts {
			names = append(names, h.Name)
		}
	}
	for _, n := range names {
		if st, ok := s.states[n]; ok {
			st.backupsDue.Store(true)
		}
	}
	s.mu.Unlock()
	s.Refresh(names...)
}

// SetPaused stops (true) or resumes (false) Run's periodic probing.
// Refresh still probes while paused: it is an operator's explicit ask.
func (s *Scheduler) SetPaused(p bool) {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	switch {
	case p && s.resumed == nil:
		s.resumed = make(chan struct{})
	case !p && s.resumed != nil:
		close(s.resumed)
		s.resumed = nil
	}
	s.paused.Store(p)
}

// pausedUntil is nil while Run is not paused, else a channel closed when it
// resumes.
func (s *Scheduler) pausedUntil() <-chan struct{} {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	return s.resumed
}

// prober is one host's loop in Run: periodic probes, refreshes, the
// backups check's runs (backup_schedule.go), and the push path of its
// libvirt connection (libvirt_events.go, push.go). It is the host's only
// goroutine in the scheduler while no backups run or probe is in flight.
//
// It lives as long as the host, so it keeps its stack shallow: h is shared,
// not copied into every frame (a hosts.Host is half a kilobyte), and the
// deep work (a probe, a lost session's explanation, a re-read of the
// domains) runs on a goroutine of its own (onOwnStack). A goroutine keeps
// the stack it grew to until the garbage collector halves it, once per
// cycle and only while it uses under a quarter of it: a prober that probed
// on its own stack held 8 KiB or more between probes, and waited for a
// probe slot that deep too; it now holds the runtime's 4 KiB.
func (s *Scheduler) prober(ctx context.Context, h *hosts.Host, st *hostState) {
	interval := orDefault(h.ProbeInterval, defaultProbeInterval)
	w := &hostWatch{backoff: backoff{min: s.opts.ReconnectMin, max: min(s.opts.ReconnectMax, interval),
		jitter: s.jitter}}
	t := s.newTimer(rand.N(interval) + time.Millisecond)
	// resumed is set while the prober, paused, waits for Run to resume
	// with no timer armed: a paused fleet does not wake every interval.
	var resumed <-chan struct{}
	var backups backupsRun
	defer func() { stopTimer(t); w.stopRetry(); backups.wg.Wait() }()
	for {
		select {
		case <-ctx.Done():
			return
		case <-backups.kickC(st):
			backups.start(ctx, s, h, st)
		case broken := <-backups.doneC():
			backups.ended(broken)
		case <-timerC(t):
			if resumed = s.pausedUntil(); resumed != nil {
				t = nil
				continue
			}
			s.probeAndPublish(ctx, h, st, w, probePeriodic)
			t = s.newTimer(interval)
		case <-resumed:
			// Jittered like the first probe so a resumed fleet does not pulse.
			resumed = nil
			t = s.newTimer(rand.N(interval) + time.Millisecond)
		case <-st.refresh:
			s.probeAndPublish(ctx, h, st, w, probeAsked)
		case <-w.retryC():
			w.retry = nil
			s.probeAndPublish(ctx, h, st, w, probeAsked)
		case <-w.deadC():
			onOwnStack(func() { s.sessionLost(ctx, *h, st, w) })
		case <-w.linkC():
			onOwnStack(func() { s.sessionLost(ctx, *h, st, w) })
		case <-w.eventsC():
			onOwnStack(func() { s.applyEvents(ctx, *h, st, w) })
		}
	}
}

func (s *Scheduler) probeAndPublish(ctx context.Context, h *hosts.Host, st *hostState, w *hostWatch, mode probeMode) {
	s.publishProbe(ctx, st, w, s.probeOne(ctx, h, mode))
}

// publishProbe publishes a probe's report (nil: it gave up without
// probing); apart from probeAndPublish so that the report's copies are not
// on the prober's stack while it waits for its turn.
func (s *Scheduler) publishProbe(ctx context.Context, st *hostState, w *hostWatch, rep *HostReport) {
	held := w.held
	w.held = nil
	switch {
	case rep != nil && ctx.Err() == nil:
		held.drop()
		s.updates.put(*rep)
		s.afterProbe(w, *rep, st)
	case rep == nil && w.reconnecting && w.retry == nil:
		// A Round holds the host: try again after the next delay.
		held.publish()
		w.retry = s.newTimer(max(w.backoff.next(), time.Millisecond))
	case ctx.Err() != nil:
		held.drop()
	default:
		held.publish()
	}
}

// onOwnStack runs f on a goroutine of its own and waits for it, so the
// stack f grows to is freed when f returns instead of staying with a
// long-lived caller (see prober).
func onOwnStack(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// timer is the part of *time.Timer the probers use.
type timer interface {
	C() <-chan time.Time
	Stop() bool
}

// timerC is t's channel, or nil (never ready) when there is no timer.
func timerC(t timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C()
}

func stopTimer(t timer) {
	if t != nil {
		t.Stop()
	}
}

type realTimer struct{ t *time.Timer }

func newRealTimer(d time.Duration) timer { return realTimer{time.NewTimer(d)} }
func (r realTimer) C() <-chan time.Time  { return r.t.C }
func (r realTimer) Stop() bool           { return r.t.Stop() }
