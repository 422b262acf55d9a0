package probes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hvconsole/hvconsole/hosts"
)

// Defaults used when the inventory or the options leave a value at zero.
const (
	defaultConnectTimeout = 10 * time.Second
	defaultProbeTimeout   = 10 * time.Second
	defaultProbeInterval  = 30 * time.Second
	defaultConcurrency    = 32
	defaultUnitEvery      = 10
	defaultKVMEvery       = 20
	defaultKVMMaxAge      = 10 * time.Minute
	defaultUpdatesBuffer  = 64
	defaultCloseGrace     = 2 * time.Second
	defaultReconnectMin   = time.Second
	defaultReconnectMax   = 30 * time.Second
	defaultLossGrace      = time.Second
)

// errAlreadyRunning is returned by a second call to Run.
var errAlreadyRunning = errors.New("probes: scheduler already running")

// errSchedulerClosed is the error of checks that start after Close.
var errSchedulerClosed = errors.New("probes: scheduler closed")

// SchedulerOptions tunes a Scheduler; the zero value is usable.
type SchedulerOptions struct {
	// UnitEvery is how many rounds pass between unit-state reads while the
	// libvirt API answers (default 10).
	UnitEvery int
	// KVMEvery and KVMMaxAge bound how stale the cached kvm facts may get:
	// they are read again after KVMEvery rounds or KVMMaxAge, whichever
	// comes first (defaults 20 rounds, 10 minutes).
	KVMEvery  int
	KVMMaxAge time.Duration
	// UpdatesBuffer is the capacity of the Updates channel (default 64).
	UpdatesBuffer int
	// CloseGrace bounds how long closing one libvirt connection may wait
	// for the daemon and for its goroutines (default 2s).
	CloseGrace time.Duration
	// ReconnectMin and ReconnectMax bound Run's reconnect backoff after a
	// host's libvirt connection drops: the first probe is immediate, then
	// ReconnectMin doubling up to ReconnectMax (and never beyond the host's
	// probe interval), with jitter (defaults 1s and 30s).
	ReconnectMin time.Duration
	ReconnectMax time.Duration
	// LossGrace is how long the "checking the link" report of a dropped
	// libvirt connection waits for the probe that explains it (default 1s):
	// an answer within it is published alone, as one event.
	LossGrace time.Duration
	// Now is the clock for result times (default time.Now).
	Now func() time.Time
	// Drills, when set, holds the restore drill records the backups check
	// rates against each spec's drill_max_age.
	Drills *DrillStore
}

func (o SchedulerOptions) withDefaults() SchedulerOptions {
	o.UnitEvery = orDefaultInt(o.UnitEvery, defaultUnitEvery)
	o.KVMEvery = orDefaultInt(o.KVMEvery, defaultKVMEvery)
	o.KVMMaxAge = orDefault(o.KVMMaxAge, defaultKVMMaxAge)
	o.UpdatesBuffer = orDefaultInt(o.UpdatesBuffer, defaultUpdatesBuffer)
	o.CloseGrace = orDefault(o.CloseGrace, defaultCloseGrace)
	o.ReconnectMin = orDefault(o.ReconnectMin, defaultReconnectMin)
	o.ReconnectMax = max(orDefault(o.ReconnectMax, defaultReconnectMax), o.ReconnectMin)
	o.LossGrace = orDefault(o.LossGrace, defaultLossGrace)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func orDefaultInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Scheduler probes the inventory's hosts: one round on demand (Round, for
// "hvconsole check") or continuously (Run, for the console). It owns one
// persistent libvirt connection per host and every goroutine it starts.
type Scheduler struct {
	cfg  *hosts.Config
	tr   Transport
	opts SchedulerOptions

	// open dials libvirt over a remote; tests swap in a fake.
	open func(ctx context.Context, r Conn, h hosts.Host) (*lvSession, error)
	// newTimer makes the per-host interval and retry timers; tests swap in a fake.
	newTimer func(d time.Duration) timer
	// jitter picks a random duration in [0, d) for the reconnect backoff
	// (nil: math/rand/v2); tests make it fixed.
	jitter func(d time.Duration) time.Duration

	// slots bounds how many hosts are probed at once (Round and Run share it).
	slots chan struct{}

	mu      sync.Mutex
	states  map[string]*hostState
	closed  bool
	retired sync.WaitGroup // sessions closing in the background

	run *runState // set while Run runs; guarded by mu

	updates *mailbox
	paused  atomic.Bool
	started atomic.Bool
	// pauseMu guards resumed: nil while Run is not paused, else a channel
	// closed when it resumes, on which paused probers wait.
	pauseMu sync.Mutex
	resumed chan struct{}
}

// NewScheduler makes a scheduler for cfg's hosts over tr. Nothing is
// dialed until a round runs.
func NewScheduler(cfg *hosts.Config, tr Transport, opts SchedulerOptions) *Scheduler {
	s := &Scheduler{
		cfg:      cfg,
		tr:       tr,
		opts:     opts.withDefaults(),
		open:     openLibvirt,
		newTimer: newRealTimer,
		slots:    make(chan struct{}, orDefaultInt(cfg.Concurrency, defaultConcurrency)),
		states:   map[string]*hostState{},
	}
	s.updates = newMailbox(s.opts.UpdatesBuffer)
	for _, h := range cfg.Hosts {
		s.states[h.Name] = newHostState()
	}
	return s
}

func (s *Scheduler) now() time.Time { return s.opts.Now() }

// classify rates a Connect error for the ssh check: the transport knows
// its own errors (connectClassifier), any other gets defaultClassify.
func (s *Scheduler) classify(err error) (Status, string) {
	if c, ok := s.tr.(connectClassifier); ok {
		return c.ClassifyConnect(err)
	}
	return defaultClassify(err)
}

// state returns the remembered state of the named host, creating it.
func (s *Scheduler) state(name string) *hostState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.states[name]
	if !ok {
		st = newHostState()
		s.states[name] = st
	}
	return st
}

// Round probes hs once, all hosts concurrently within the concurrency
// bound, and returns their reports in input order. Each check has its own
// deadline, so a hung host costs the round at most its deadlines and never
// delays another host's probe beyond holding one slot.
func (s *Scheduler) Round(ctx context.Context, hs []hosts.Host) []HostReport {
	reports := make([]HostReport, len(hs))
	var g errgroup.Group
	g.SetLimit(cap(s.slots))
	for i := range hs {
		g.Go(func() error {
			reports[i] = *s.probeOne(ctx, &hs[i], probeWait) // never nil when waiting
			return nil
		})
	}
	_ = g.Wait() // probeOne reports in reports, never as an error
	return reports
}

// probeMode says when a probe gives up without probing (ok false).
type probeMode int

const (
	// probeWait (Round) waits for a probe of the host in flight.
	probeWait probeMode = iota
	// probeAsked (Run: a refresh, an event, a reconnect) gives up when a
	// probe of the host is in flight: that one is the fresh answer.
	probeAsked
	// probePeriodic (Run: the host's interval) also gives up when Run was
	// paused while it waited for its turn: at 10,000 hosts thousands wait,
	// and a paused fleet does no periodic work.
	probePeriodic
)

// probeOne probes h once, as mode says; nil when it gave up without
// probing. While it waits for the host's turn and a probe slot (at 10,000
// hosts most probers wait there) it holds no report, so a prober's stack
// stays shallow (see prober); the probe itself runs on its own stack.
func (s *Scheduler) probeOne(ctx context.Context, h *hosts.Host, mode probeMode) *HostReport {
	st := s.state(h.Name)
	if mode != probeWait {
		select {
		case st.busy <- struct{}{}:
		default:
			return nil
		}
	} else if !acquire(ctx, st.busy) {
		return s.cancelled(h)
	}
	defer func() { <-st.busy }()
	st.running.Store(true)
	defer st.running.Store(false)
	drain(st.refresh) // a refresh asked before this probe is answered by it
	if !acquire(ctx, s.slots) {
		return s.cancelled(h)
	}
	defer func() { <-s.slots }()
	if mode == probePeriodic && s.paused.Load() {
		return nil
	}
	var rep HostReport
	onOwnStack(func() { rep = s.probeHost(ctx, *h, st) })
	if ctx.Err() != nil { // checks cut short by the caller say nothing about the host
		return s.cancelled(h)
	}
	return &rep
}

// cancelled is the report of a host whose probe never started.
func (s *Scheduler) cancelled(h *hosts.Host) *HostReport {
	at := s.now()
	rep := HostReport{Host: h.Name, Address: h.Address, Kind: h.Hypervisor}
	rep.Checks = append([]Result{newResult(h.Name, hosts.CheckSSH, UNKNOWN, "probe cancelled", "", nil, 0, at)},
		dependents(*h, "probe cancelled", at)...)
	rep = finish(rep, at)
	return &rep
}

func acquire(ctx context.Context, sem chan struct{}) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func drain(ch chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// openSession opens a libvirt connection unless the scheduler is closed.
func (s *Scheduler) openSession(ctx context.Context, r Conn, h hosts.Host) (*lvSession, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errSchedulerClosed
	}
	return s.open(ctx, r, h)
}

// retire detaches the host's libvirt connection and closes it.
func (s *Scheduler) retire(st *hostState) {
	st.mu.Lock()
	sess := st.sess
	st.sess = nil
	st.mu.Unlock()
	if sess != nil {
		s.retireSession(sess)
	}
}

// retireSession closes sess in the background (a polite goodbye may wait
// for a slow daemon); Close waits for every such goroutine.
func (s *Scheduler) retireSession(sess *lvSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		t := time.NewTimer(s.opts.CloseGrace)
		defer t.Stop()
		sess.shutdown(t.C)
		return
	}
	s.retired.Go(func() { sess.close(s.opts.CloseGrace) })
}

// Close closes every libvirt connection and waits for the goroutines that
// serve them, each bounded by CloseGrace. Call it after Run has returned
// and no Round is in flight. It returns an error when a connection's
// goroutines outlived the grace; they end when the transport closes.
func (s *Scheduler) Close() error {
	s.mu.Lock()
	s.closed = true
	states := make([]*hostState, 0, len(s.states))
	for _, st := range s.states {
		states = append(states, st)
	}
	s.mu.Unlock()
	var lingering atomic.Int32
	var wg sync.WaitGroup
	for _, st := range states {
		st.mu.Lock()
		sess := st.sess
		st.sess = nil
		st.mu.Unlock()
		if sess != nil {
			wg.Go(func() {
				if !sess.close(s.opts.CloseGrace) {
					lingering.Add(1)
				}
			})
		}
	}
	wg.Wait()
	s.retired.Wait()
	if n := lingering.Load(); n > 0 {
		return fmt.Errorf("probes: close: %d libvirt connections still draining", n)
	}
	return nil
}
