package attach

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want Target
		bad  bool
	}{
		{in: "unix:/run/hvconsole/serve.sock", want: Target{Path: "/run/hvconsole/serve.sock"}},
		{in: "ssh://ops@kvm-gw:2222/run/hvconsole/serve.sock", want: Target{SSH: true, User: "ops", Host: "kvm-gw", Port: 2222, Path: "/run/hvconsole/serve.sock"}},
		{in: "ssh://kvm-gw/run/x.sock", want: Target{SSH: true, Host: "kvm-gw", Path: "/run/x.sock"}},
		{in: "unix:relative.sock", bad: true},
		{in: "tcp://h:1/x", bad: true},
		{in: "ssh://u:pw@h/x", bad: true},
		{in: "ssh:///x", bad: true},
		{in: "ssh://h:99999/x", bad: true},
		{in: "ssh://h", bad: true},
	}
	for _, tc := range tests {
		got, err := ParseTarget(tc.in)
		if tc.bad {
			if !errors.Is(err, ErrBadTarget) {
				t.Errorf("ParseTarget(%q) = %+v, %v; want ErrBadTarget", tc.in, got, err)
			}
			continue
		}
		tc.want.Raw = tc.in
		if err != nil || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// fakeCollector serves the attach API on a unix socket from a script the
// test drives: each stream gets the snapshot, then what the test sends.
type fakeCollector struct {
	t     *testing.T
	path  string
	site  string
	srv   *http.Server
	l     net.Listener
	lines chan []byte
	wg    sync.WaitGroup
}

func startCollector(t *testing.T, path, site string) *fakeCollector {
	c := &fakeCollector{t: t, path: path, site: site, lines: make(chan []byte, 16)}
	c.start()
	return c
}

func (c *fakeCollector) start() {
	l, err := net.Listen("unix", c.path)
	if err != nil {
		c.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/snapshot", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(c.snapshot())
	})
	mux.HandleFunc("/v1/stream", func(w http.ResponseWriter, r *http.Request) {
		snap := c.snapshot()
		write(w, wire.Message{Type: wire.TypeSnapshot, Snapshot: &snap})
		for {
			select {
			case line := <-c.lines:
				_, _ = w.Write(line)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	})
	c.l, c.srv = l, &http.Server{Handler: mux}
	c.wg.Go(func() { _ = c.srv.Serve(l) })
}

func (c *fakeCollector) stop() {
	_ = c.srv.Close()
	c.wg.Wait()
}

func (c *fakeCollector) snapshot() wire.Snapshot {
	h := wire.FromReport(probes.HostReport{Host: "kvm1", Status: probes.OK, Time: time.Now(),
		Checks: []probes.Result{{Check: "hypervisor", Status: probes.OK, Summary: "ok"}}})
	return wire.Snapshot{Site: c.site, Ready: true, Hosts: []wire.Host{h}}
}

func write(w http.ResponseWriter, m wire.Message) {
	b, _ := json.Marshal(m)
	_, _ = w.Write(append(b, '\n'))
	w.(http.Flusher).Flush()
}

func (c *fakeCollector) send(rep probes.HostReport) {
	h := wire.FromReport(rep)
	b, _ := json.Marshal(wire.Message{Type: wire.TypeReport, Host: &h})
	c.lines <- append(b, '\n')
}

func next(t *testing.T, f *Fleet) probes.HostReport {
	t.Helper()
	select {
	case r := <-f.Updates():
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no report")
	}
	return probes.HostReport{}
}

func TestFleetFollowsMergesAndReconnects(t *testing.T) {
	dir := t.TempDir()
	a := startCollector(t, filepath.Join(dir, "a.sock"), "dc1")
	b := startCollector(t, filepath.Join(dir, "b.sock"), "dc2")
	defer b.stop()
	ta, _ := ParseTarget("unix:" + a.path)
	tb, _ := ParseTarget("unix:" + b.path)
	f := New(NetDialer{}, []Target{ta, tb})
	f.Prime(t.Context())
	if got := f.Sites(); len(got) != 2 || got[0] != "dc1" || got[1] != "dc2" {
		t.Errorf("Sites = %v", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	seen := map[string]probes.Status{}
	for len(seen) < 2 {
		r := next(t, f)
		seen[r.Host] = r.Status
		if site, _, _ := strings.Cut(r.Host, "/"); r.Site != site {
			t.Errorf("%s carries site %q, want %q (the console's SITE column)", r.Host, r.Site, site)
		}
	}
	if seen["dc1/kvm1"] != probes.OK || seen["dc2/kvm1"] != probes.OK {
		t.Errorf("merged hosts = %v, want dc1/kvm1 and dc2/kvm1", seen)
	}
	crashAt := time.Now().Add(-time.Minute).Truncate(time.Second)
	a.send(probes.HostReport{Host: "kvm1", Status: probes.CRIT, Time: crashAt,
		VMs:    []probes.VM{{Name: "db-main", State: "running"}},
		Checks: []probes.Result{{Check: "hypervisor", Status: probes.CRIT, Summary: "hypervisor not running"}}})
	if r := next(t, f); r.Host != "dc1/kvm1" || r.Status != probes.CRIT {
		t.Errorf("pushed report = %s %s", r.Host, r.Status)
	}

	a.stop()
	r := next(t, f)
	if r.Host != "dc1/kvm1" || r.Site != "dc1" || r.Status != probes.UNKNOWN || r.Checks[0].Summary != UnreachableSummary {
		t.Errorf("collector gone: %s %s %+v; want UNKNOWN %q", r.Host, r.Status, r.Checks, UnreachableSummary)
	}
	// the blast radius stays: the last VM list, as of when it was read
	if len(r.VMs) != 1 || r.VMs[0].Name != "db-main" || !r.VMsAsOf.Equal(crashAt) {
		t.Errorf("collector gone: VMs %+v as of %v; want db-main as of %v", r.VMs, r.VMsAsOf, crashAt)
	}
	a.start()
	defer a.stop()
	for {
		if r := next(t, f); r.Host == "dc1/kvm1" && r.Status == probes.OK {
			break // reconnected with backoff and recovered
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
	for range f.Updates() { // closed once Run returns
	}
}

// One collector: host names stay as the collector has them, and each
// report still carries the site for the SITE column.
func TestSingleCollectorStampsSite(t *testing.T) {
	c := startCollector(t, filepath.Join(t.TempDir(), "a.sock"), "dc1")
	defer c.stop()
	tg, _ := ParseTarget("unix:" + c.path)
	f := New(NetDialer{}, []Target{tg})
	f.Prime(t.Context())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	if r := next(t, f); r.Host != "kvm1" || r.Site != "dc1" {
		t.Errorf("report %q site %q, want kvm1 at dc1", r.Host, r.Site)
	}
	cancel()
	<-done
	for range f.Updates() {
	}
}

// A collector that keeps its stream open but says nothing, not even a
// heartbeat, for the silence limit counts as gone (a hung collector is as
// good as a dead one); while heartbeats arrive it does not.
func TestSilentCollectorCountsAsGone(t *testing.T) {
	c := startCollector(t, filepath.Join(t.TempDir(), "a.sock"), "dc1")
	defer c.stop()
	tg, _ := ParseTarget("unix:" + c.path)
	f := New(NetDialer{}, []Target{tg})
	f.silence = 400 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		for range f.Updates() {
		}
	}()
	if r := next(t, f); r.Status != probes.OK {
		t.Fatalf("first report %s %s, want OK", r.Host, r.Status)
	}
	hb, _ := json.Marshal(wire.Message{Type: wire.TypeHeartbeat, Time: time.Now()})
	hb = append(hb, '\n') // once: the handler writes it while the next is queued
	beat := time.NewTicker(100 * time.Millisecond)
	defer beat.Stop()
	for range 12 { // 1.2 s of heartbeats: three silence limits
		<-beat.C
		c.lines <- hb
		select {
		case r := <-f.Updates():
			t.Fatalf("a collector sending heartbeats counted as gone: %s %s", r.Host, r.Status)
		default:
		}
	}
	beat.Stop()
	r := next(t, f) // the stream is still open, but silent
	if r.Status != probes.UNKNOWN || r.Checks[0].Summary != UnreachableSummary {
		t.Errorf("silent collector: %s %s %+v; want UNKNOWN %q", r.Host, r.Status, r.Checks, UnreachableSummary)
	}
}

// Reconnects back off: waits within [d/2, d] of a delay doubling from
// backoffMin to backoffMax while the collector stays away, and back to
// backoffMin after a session that got anything.
func TestReconnectBackoff(t *testing.T) {
	var b backoff
	delay := backoffMin
	for i := range 8 {
		if w := b.next(false); w < delay/2 || w > delay {
			t.Errorf("attempt %d waits %v, want within [%v, %v]", i, w, delay/2, delay)
		}
		delay = min(2*delay, backoffMax)
	}
	if delay != backoffMax {
		t.Fatalf("the delay never reached backoffMax: %v", delay)
	}
	if w := b.next(true); w < backoffMin/2 || w > backoffMin {
		t.Errorf("after a session that got messages: %v, want within [%v, %v]", w, backoffMin/2, backoffMin)
	}
}

// check --attach's view: with several collectors every host is named
// "label/host", the label being the site, or the target when a site is
// missing or taken by another collector, so no two hosts collide.
func TestFetchReportsNamesHostsUniquely(t *testing.T) {
	dir := t.TempDir()
	a := startCollector(t, filepath.Join(dir, "a.sock"), "dc1")
	defer a.stop()
	b := startCollector(t, filepath.Join(dir, "b.sock"), "dc1") // the same site
	defer b.stop()
	c := startCollector(t, filepath.Join(dir, "c.sock"), "") // no site
	defer c.stop()
	var targets []Target
	for _, fc := range []*fakeCollector{a, b, c} {
		tg, _ := ParseTarget("unix:" + fc.path)
		targets = append(targets, tg)
	}
	reps, err := FetchReports(t.Context(), NetDialer{}, targets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range reps {
		got = append(got, r.Site+" "+r.Host)
	}
	want := []string{"dc1 dc1/kvm1", "unix:" + b.path + " unix:" + b.path + "/kvm1", "unix:" + c.path + " unix:" + c.path + "/kvm1"}
	if !slices.Equal(got, want) {
		t.Errorf("reports (site name) = %q, want %q", got, want)
	}
	if _, err := FetchReports(t.Context(), NetDialer{}, append(targets, Target{Raw: "unix:/nonexistent.sock", Path: "/nonexistent.sock"})); err == nil ||
		!strings.Contains(err.Error(), "unix:/nonexistent.sock") {
		t.Errorf("a collector that does not answer: %v, want an error naming it", err)
	}
}
