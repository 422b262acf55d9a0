package attach

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
)

// Reconnect backoff after a collector goes away, and how long a stream may
// stay silent (three heartbeats) before the collector counts as gone. The
// backoff stops at 8 s: a collector that comes back (a restart, a reload
// of its host) is seen again within 8 s, while a console's dial to one
// that stays away costs nothing worth saving (one local or SSH dial every
// 4-8 s); at 30 s a console stayed blind for up to half a minute after
// its collector was back.
const (
	backoffMin    = time.Second
	backoffMax    = 8 * time.Second
	silenceLimit  = 3 * wire.HeartbeatInterval
	dialTimeout   = 10 * time.Second
	updatesBuffer = 256
	primeRetry    = 200 * time.Millisecond
)

// CheckCollector is the check name of the reports an attached console
// makes up when a collector is unreachable.
const CheckCollector = "collector"

// UnreachableSummary is what a host of an unreachable collector says: we
// do not know that the host is down, only that we cannot see it.
const UnreachableSummary = "collector unreachable"

// Fleet follows several collectors and merges their hosts into one stream
// of reports. It satisfies the console's Source; it is read-only: Refresh
// and SetPaused do nothing (each collector probes on its own schedule).
type Fleet struct {
	dialer     Dialer
	collectors []*collector
	updates    chan probes.HostReport
	started    bool
	// silence is how long a stream may say nothing, not even a
	// heartbeat, before its collector counts as gone (silenceLimit).
	silence time.Duration
	// acks carries the merged acks (acks.go); acksMu orders its writers.
	acks   chan []wire.Ack
	acksMu sync.Mutex
}

// collector is one target and what it last said.
type collector struct {
	target Target
	label  string // the name prefix of its hosts when several are merged
	mu     sync.Mutex
	site   string
	hosts  []string   // as last listed, already prefixed
	acks   []wire.Ack // as last listed, already prefixed
	// vms is each host's last VM list with its time: while the collector
	// is away its hosts keep it, marked stale (the blast radius stays).
	vms map[string]lastVMs
}

// New follows targets through d. Every report carries its collector's
// site (HostReport.Site) for the console's SITE column. With more than one
// target, each host's name is also prefixed with that site and "/", so the
// same host name at two sites is two hosts, never one.
func New(d Dialer, targets []Target) *Fleet {
	f := &Fleet{dialer: d, updates: make(chan probes.HostReport, updatesBuffer), silence: silenceLimit,
		acks: make(chan []wire.Ack, 1)}
	for _, t := range targets {
		f.collectors = append(f.collectors, &collector{target: t})
	}
	return f
}

// Updates is the merged stream; it is closed when Run returns.
func (f *Fleet) Updates() <-chan probes.HostReport { return f.updates }

// Refresh does nothing: an attached console never asks for probes.
func (f *Fleet) Refresh(...string) {}

// SetPaused does nothing: the collectors' schedules are theirs.
func (f *Fleet) SetPaused(bool) {}

// Prime fetches each collector's snapshot, trying again every
// primeRetry until ctx ends, so the console opens with the sites known. A
// collector that does not answer is followed anyway (its hosts appear when
// it does).
func (f *Fleet) Prime(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range f.collectors {
		wg.Go(func() {
			for {
				if snap, err := FetchSnapshot(ctx, f.dialer, c.target); err == nil {
					c.setSite(snap.Site)
					return
				}
				t := time.NewTimer(primeRetry)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
	f.label()
}

// label names each collector for the merged view.
func (f *Fleet) label() {
	if len(f.collectors) < 2 {
		return
	}
	for i, c := range f.collectors {
		c.mu.Lock()
		c.label = c.site
		if c.label == "" || slices.ContainsFunc(f.collectors[:i], func(o *collector) bool { return o.label == c.label }) {
			c.label = c.target.Raw
		}
		c.mu.Unlock()
	}
}

func (c *collector) setSite(site string) {
	c.mu.Lock()
	c.site = remote.CleanLine(site)
	c.mu.Unlock()
}

// Sites lists what the SITE column shows for each collector (see
// siteName), in target order.
func (f *Fleet) Sites() []string {
	out := make([]string, 0, len(f.collectors))
	for _, c := range f.collectors {
		out = append(out, c.siteName())
	}
	return out
}

// Run follows every collector until ctx ends, then closes Updates.
func (f *Fleet) Run(ctx context.Context) error {
	if f.started {
		return errors.New("attach: fleet already running")
	}
	f.started = true
	defer close(f.updates)
	var wg sync.WaitGroup
	for _, c := range f.collectors {
		wg.Go(func() { f.follow(ctx, c) })
	}
	wg.Wait()
	return ctx.Err()
}

// follow keeps one collector's stream open, reconnecting with backoff and
// jitter; while it is away its hosts are UNKNOWN "collector unreachable".
func (f *Fleet) follow(ctx context.Context, c *collector) {
	var b backoff
	for {
		got, _ := f.session(ctx, c)
		if ctx.Err() != nil {
			return
		}
		f.unreachable(ctx, c)
		t := time.NewTimer(b.next(got))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff is the reconnect schedule: a delay that doubles from backoffMin
// to backoffMax, starting over after a session that got anything (the
// collector was up: come back quickly), with equal jitter (half the delay
// fixed, half random) so consoles that lost one collector do not all
// reconnect at once.
type backoff struct{ delay time.Duration }

// next is the wait before the next attempt; got reports whether the
// session that just ended received any message.
func (b *backoff) next(got bool) time.Duration {
	if got || b.delay == 0 {
		b.delay = backoffMin
	}
	wait := b.delay/2 + rand.N(b.delay/2+1)
	b.delay = min(2*b.delay, backoffMax)
	return wait
}

func (f *Fleet) emit(ctx context.Context, rep probes.HostReport) bool {
	select {
	case f.updates <- rep:
		return true
	case <-ctx.Done():
		return false
	}
}

// session reads one stream until it fails; got reports whether any message
// arrived.
func (f *Fleet) session(ctx context.Context, c *collector) (got bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body, err := open(ctx, f.dialer, c.target, "/v1/stream")
	if err != nil {
		return false, err
	}
	defer body.Close()
	// A silent collector is a gone one: the watchdog cuts the stream.
	watchdog := time.AfterFunc(f.silence, cancel)
	defer watchdog.Stop()
	dec := wire.NewDecoder(body)
	for {
		m, err := dec.Next()
		if err != nil {
			return got, err
		}
		got = true
		watchdog.Reset(f.silence)
		if !f.apply(ctx, c, m) {
			return got, ctx.Err()
		}
	}
}

// apply turns one message into reports.
func (f *Fleet) apply(ctx context.Context, c *collector, m wire.Message) bool {
	switch m.Type {
	case wire.TypeSnapshot:
		c.setSite(m.Snapshot.Site)
		c.mu.Lock()
		c.vms = nil // a snapshot lists every host: forget the removed ones
		c.mu.Unlock()
		names := make([]string, 0, len(m.Snapshot.Hosts))
		for _, h := range m.Snapshot.Hosts {
			rep := c.qualify(h.Report())
			names = append(names, rep.Host)
			c.remember(rep)
			if !rep.Time.IsZero() && !f.emit(ctx, rep) {
				return false
			}
		}
		c.mu.Lock()
		c.hosts = names
		c.mu.Unlock()
		f.setAcks(c, m.Snapshot.Acks)
	case wire.TypeAcks:
		f.setAcks(c, m.Acks)
	case wire.TypeReport:
		rep := c.qualify(m.Host.Report())
		c.remember(rep)
		return f.emit(ctx, rep)
	}
	return true
}

// siteName is what the SITE column shows for the collector's hosts: its
// label when several are merged (unique among them), else its site, else
// its target.
func (c *collector) siteName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.label != "":
		return c.label
	case c.site != "":
		return c.site
	}
	return c.target.Raw
}

// qualify stamps a report with its collector's site and, when several are
// merged, prefixes the host's name with the collector's label.
func (c *collector) qualify(rep probes.HostReport) probes.HostReport {
	rep.Site = c.siteName()
	c.mu.Lock()
	label := c.label
	c.mu.Unlock()
	if label != "" {
		rep.Host = label + "/" + rep.Host
		for i := range rep.Checks {
			rep.Checks[i].Host = rep.Host
		}
	}
	return rep
}

// FetchReports asks each collector for its current state once and returns
// every host's report as the merged console shows it: each stamped with
// its collector's site and, with several targets, named "label/host"
// (site, else target), so the same host name at two sites stays two.
func FetchReports(ctx context.Context, d Dialer, targets []Target) ([]probes.HostReport, error) {
	f := New(d, targets)
	snaps := make([]wire.Snapshot, len(f.collectors))
	for i, c := range f.collectors {
		snap, err := FetchSnapshot(ctx, d, c.target)
		if err != nil {
			return nil, fmt.Errorf("collector %s: %w", c.target.Raw, err)
		}
		c.setSite(snap.Site)
		snaps[i] = snap
	}
	f.label()
	var out []probes.HostReport
	for i, c := range f.collectors {
		for _, h := range snaps[i].Hosts {
			out = append(out, c.qualify(h.Report()))
		}
	}
	return out, nil
}

// FetchSnapshot asks a collector for its current state once.
func FetchSnapshot(ctx context.Context, d Dialer, t Target) (wire.Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	body, err := open(ctx, d, t, "/v1/snapshot")
	if err != nil {
		return wire.Snapshot{}, err
	}
	defer body.Close()
	return wire.DecodeSnapshot(body)
}

// transport makes requests over fresh connections to the target.
func transport(d Dialer, t Target) *http.Transport {
	return &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			dctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			return d.DialTarget(dctx, t)
		},
		DisableKeepAlives: true, ResponseHeaderTimeout: dialTimeout,
	}
}

// open makes one GET request over a fresh connection to the target.
func open(ctx context.Context, d Dialer, t Target, path string) (bodyCloser, error) {
	tr := transport(d, t)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hvconsole"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("attach %s: %w", t.Raw, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("attach %s: HTTP %d", t.Raw, resp.StatusCode)
	}
	return resp.Body, nil
}

type bodyCloser interface {
	Read(p []byte) (int, error)
	Close() error
}
