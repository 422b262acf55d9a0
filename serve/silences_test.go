package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvconsole/hvconsole/probes/wire"
)

// scriptedAM is an Alertmanager whose silence API answers each POST with
// the next status of its script (200 and a silenceID once it runs out);
// with hold set, a POST waits for hold before answering.
type scriptedAM struct {
	url  string
	mu   sync.Mutex
	todo []int
	hold chan struct{}
	got  chan string // "POST" or "DELETE <id>", as they arrive
	n    int
}

func newScriptedAM(t *testing.T, id string, statuses ...int) *scriptedAM {
	am := &scriptedAM{todo: statuses, got: make(chan string, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			am.got <- "DELETE " + strings.TrimPrefix(r.URL.Path, "/api/v2/silence/")
			return
		}
		am.got <- "POST"
		am.mu.Lock()
		status, hold := http.StatusOK, am.hold
		if len(am.todo) > 0 {
			status, am.todo = am.todo[0], am.todo[1:]
		}
		am.n++
		am.mu.Unlock()
		if hold != nil {
			<-hold
		}
		if status != http.StatusOK {
			http.Error(w, "no", status)
			return
		}
		fmt.Fprintf(w, `{"silenceID":%q}`, id)
	}))
	t.Cleanup(srv.Close)
	am.url = srv.URL
	return am
}

// next is the next call the Alertmanager got.
func (am *scriptedAM) next(t *testing.T) string {
	t.Helper()
	select {
	case c := <-am.got:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the Alertmanager got no call")
		return ""
	}
}

// none checks that the Alertmanager got no call it was not waited for.
func (am *scriptedAM) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-am.got:
		t.Errorf("unexpected call %q", c)
	default:
	}
}

// pauses steps the silencer's waits between attempts: each wait is
// announced on asked and ends when the test sends on resume (or its
// context ends). Instant pauses only record the delays.
type pauses struct {
	instant bool
	mu      sync.Mutex
	delays  []time.Duration
	asked   chan time.Duration
	resume  chan struct{}
}

func newPauses(instant bool) *pauses {
	return &pauses{instant: instant, asked: make(chan time.Duration, 16), resume: make(chan struct{})}
}

func (p *pauses) pause(ctx context.Context, d time.Duration) bool {
	p.mu.Lock()
	p.delays = append(p.delays, d)
	p.mu.Unlock()
	if p.instant {
		return ctx.Err() == nil
	}
	p.asked <- d
	select {
	case <-p.resume:
		return true
	case <-ctx.Done():
		return false
	}
}

// waitAsked returns once a retry waits.
func (p *pauses) waitAsked(t *testing.T) {
	t.Helper()
	select {
	case <-p.asked:
	case <-time.After(10 * time.Second):
		t.Fatal("no retry waited")
	}
}

// silenceRig is a server with only what acks need, its silencer on ams.
type silenceRig struct {
	s    *server
	reg  *prometheus.Registry
	log  *syncBuffer
	stop context.CancelFunc
	file string
}

func newSilenceRig(t *testing.T, p *pauses, ams ...*scriptedAM) *silenceRig {
	t.Helper()
	urls := make([]string, len(ams))
	for i, am := range ams {
		urls[i] = am.url
	}
	return newSilenceRigOn(t, p.pause, urls...)
}

// newSilenceRigOn is newSilenceRig on Alertmanager URLs, pausing with pause.
func newSilenceRigOn(t *testing.T, pause func(context.Context, time.Duration) bool, urls ...string) *silenceRig {
	t.Helper()
	r := &silenceRig{reg: prometheus.NewRegistry(), log: &syncBuffer{}, file: filepath.Join(t.TempDir(), "acks.json")}
	log := slog.New(slog.NewTextHandler(r.log, nil))
	book, err := loadAcks(r.file)
	if err != nil {
		t.Fatal(err)
	}
	r.s = &server{opts: Options{Now: func() time.Time { return t0 }}, log: log, acks: book, hub: newHub(log),
		silences: newSilencer(urls, &http.Client{}, log, newSilenceMetrics(r.reg, nil))}
	ctx, cancel := context.WithCancel(t.Context())
	r.stop = cancel
	r.s.silences.ctx, r.s.silences.pause = ctx, pause
	t.Cleanup(func() {
		cancel()
		r.s.silences.wait()
	})
	return r
}

// waitSilences is silencer.wait under a bound: a retry that does not end
// fails the test rather than hanging it.
func (r *silenceRig) waitSilences(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		r.s.silences.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("silencer.wait did not return")
	}
}

func (r *silenceRig) ack(host, owner string) wire.Ack {
	a := wire.Ack{Host: host, Owner: owner, Made: t0, Expires: t0.Add(time.Hour)}
	r.s.putAck(a, []string{"HypervisorDown"})
	return a
}

// persisted are the silences of host's ack in the acks file.
func (r *silenceRig) persisted(t *testing.T, host string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(r.file)
	if err != nil {
		t.Fatal(err)
	}
	var list []ackEntry
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.Host == host {
			return e.Silences
		}
	}
	return nil
}

func (r *silenceRig) metric(t *testing.T, name, am, outcome string) float64 {
	t.Helper()
	if name == "pending" {
		return testutil.ToFloat64(r.s.silences.metrics.pending)
	}
	return testutil.ToFloat64(r.s.silences.metrics.outcomes.WithLabelValues(am, outcome))
}

// Two Alertmanagers: one answers at once, the other fails (503, 502, 500)
// then answers. The late silence is created by a retry, waited for with
// doubling jittered pauses, and merged into the ack beside the first one,
// both persisted.
func TestSilenceRetriedUntilCreated(t *testing.T) {
	p := newPauses(false)
	good := newScriptedAM(t, "sil-a")
	flaky := newScriptedAM(t, "sil-b", http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusInternalServerError)
	r := newSilenceRig(t, p, good, flaky)
	r.ack("kvm1", "alice")
	good.next(t)
	for range 3 {
		flaky.next(t)
		p.waitAsked(t)
		if got := r.metric(t, "pending", "", ""); got != 1 {
			t.Errorf("hvconsole_silences_pending = %v while retrying, want 1", got)
		}
		p.resume <- struct{}{}
	}
	flaky.next(t)
	r.waitSilences(t) // both creations ended by themselves
	want := map[string]string{good.url: "sil-a", flaky.url: "sil-b"}
	if ids := r.persisted(t, "kvm1"); !equalJSON(t, ids, want) {
		t.Errorf("persisted silences %v, want %v", ids, want)
	}
	if e, _ := r.s.acks.get("kvm1"); !equalJSON(t, e.Silences, want) {
		t.Errorf("ack's silences %v, want %v", e.Silences, want)
	}
	checkBackoff(t, p.delays)
	if len(p.delays) != 3 {
		t.Errorf("%d pauses, want 3", len(p.delays))
	}
	for _, c := range []struct {
		am, outcome string
		want        float64
	}{{good.url, silenceCreated, 1}, {flaky.url, silenceRetried, 3}, {flaky.url, silenceCreated, 1}} {
		if got := r.metric(t, "", c.am, c.outcome); got != c.want {
			t.Errorf("hvconsole_silences_total{%s} = %v, want %v", c.outcome, got, c.want)
		}
	}
	if got := r.metric(t, "pending", "", ""); got != 0 {
		t.Errorf("hvconsole_silences_pending = %v after, want 0", got)
	}
	good.none(t)
	flaky.none(t)
}

// checkBackoff checks pauses: silenceBackoffMin doubling to
// silenceBackoffMax, each jittered between half and all of it.
func checkBackoff(t *testing.T, delays []time.Duration) {
	t.Helper()
	for i, d := range delays {
		full := min(silenceBackoffMin<<i, silenceBackoffMax)
		if d < full/2 || d > full {
			t.Errorf("pause %d = %v, want %v to %v", i, d, full/2, full)
		}
	}
}

// The backoff doubles from silenceBackoffMin and stays at silenceBackoffMax.
func TestSilenceBackoffCapped(t *testing.T) {
	p := newPauses(true)
	statuses := make([]int, 8)
	for i := range statuses {
		statuses[i] = http.StatusServiceUnavailable
	}
	am := newScriptedAM(t, "sil-1", statuses...)
	r := newSilenceRig(t, p, am)
	r.ack("kvm1", "alice")
	for range 9 {
		am.next(t)
	}
	r.waitSilences(t)
	if len(p.delays) != 8 {
		t.Fatalf("%d pauses, want 8", len(p.delays))
	}
	checkBackoff(t, p.delays)
	if ids := r.persisted(t, "kvm1"); ids[am.url] != "sil-1" {
		t.Errorf("persisted silences %v", ids)
	}
}

// A 400 (our request is wrong) is logged once as an error and not
// retried; a 429 is retried.
func TestSilenceRefusedNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status  int
		retried bool
	}{{http.StatusBadRequest, false}, {http.StatusUnprocessableEntity, false}, {http.StatusTooManyRequests, true}} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			p := newPauses(true)
			am := newScriptedAM(t, "sil-1", tc.status)
			r := newSilenceRig(t, p, am)
			r.ack("kvm1", "alice")
			am.next(t)
			if tc.retried {
				am.next(t)
			}
			r.waitSilences(t)
			am.none(t)
			refused := strings.Count(r.log.String(), `level=ERROR msg="silence refused, not retried"`)
			if tc.retried == (refused != 0) || refused > 1 {
				t.Errorf("%d refusals logged, retried %v:\n%s", refused, tc.retried, r.log.String())
			}
			if got := r.metric(t, "", am.url, silenceRefused); got != float64(refused) {
				t.Errorf("refused counter %v, want %d", got, refused)
			}
			if ids := r.persisted(t, "kvm1"); tc.retried != (ids[am.url] == "sil-1") {
				t.Errorf("persisted silences %v", ids)
			}
		})
	}
}

// An ack that ends, or is replaced, while its silence is retried stops the
// retries: no attempt follows, no silence is left for it.
func TestSilenceRetryStoppedByAckEnd(t *testing.T) {
	for _, replace := range []bool{false, true} {
		t.Run(fmt.Sprint("replaced=", replace), func(t *testing.T) {
			p := newPauses(false)
			am := newScriptedAM(t, "sil-2", http.StatusServiceUnavailable)
			r := newSilenceRig(t, p, am)
			r.ack("kvm1", "alice")
			am.next(t)
			p.waitAsked(t)
			if replace {
				r.ack("kvm1", "bob")
				if c := am.next(t); c != "POST" { // bob's silence, made at once
					t.Fatalf("call %q, want bob's POST", c)
				}
			} else {
				e, _ := r.s.acks.get("kvm1")
				if err := r.s.endAck(e, ackRemoved); err != nil {
					t.Fatal(err)
				}
			}
			// alice's retry ended by itself: wait returns with serve still running
			r.waitSilences(t)
			am.none(t)
			want := map[string]string(nil)
			if replace {
				want = map[string]string{am.url: "sil-2"}
			}
			if ids := r.persisted(t, "kvm1"); !equalJSON(t, ids, want) {
				t.Errorf("persisted silences %v, want %v", ids, want)
			}
			if !strings.Contains(r.log.String(), `msg="silence retries stopped"`) {
				t.Errorf("log:\n%s", r.log.String())
			}
		})
	}
}

// A creation under way when its ack ends runs to its end; the silence it
// made late is deleted rather than left until its endsAt.
func TestSilenceMadeLateIsDeleted(t *testing.T) {
	p := newPauses(false)
	am := newScriptedAM(t, "sil-late")
	am.hold = make(chan struct{})
	r := newSilenceRig(t, p, am)
	r.ack("kvm1", "alice")
	am.next(t) // the POST is under way
	e, _ := r.s.acks.get("kvm1")
	if err := r.s.endAck(e, ackRecovered); err != nil {
		t.Fatal(err)
	}
	close(am.hold)
	if c := am.next(t); c != "DELETE sil-late" {
		t.Errorf("call %q, want the late silence deleted", c)
	}
	r.waitSilences(t)
	am.none(t)
	if _, ok := r.s.acks.get("kvm1"); ok {
		t.Error("the ended ack came back")
	}
}

// Stopping serve while a creation waits for its retry: wait returns and
// no goroutine is left (goleak in TestMain).
func TestSilenceRetryStoppedAtShutdown(t *testing.T) {
	p := newPauses(false)
	am := newScriptedAM(t, "sil-1", http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	r := newSilenceRig(t, p, am)
	r.ack("kvm1", "alice")
	r.ack("kvm2", "alice")
	am.next(t)
	am.next(t)
	p.waitAsked(t)
	p.waitAsked(t)
	r.stop()
	r.waitSilences(t)
	am.none(t)
	if got := r.metric(t, "pending", "", ""); got != 0 {
		t.Errorf("hvconsole_silences_pending = %v after shutdown, want 0", got)
	}
}

// At start, an ack kept from before gets the silences it lacks: on the
// Alertmanager that never answered (its retries ended with serve), not on
// the one that did, and not for an ack already expired.
func TestSilencesResumedAtStart(t *testing.T) {
	had, lacked := newScriptedAM(t, "sil-had"), newScriptedAM(t, "sil-new")
	r := newSilenceRig(t, newPauses(true), had, lacked)
	gen, _, err := r.s.acks.put(ackEntry{Ack: wire.Ack{Host: "kvm1", Owner: "alice", Made: t0, Expires: t0.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.acks.silenced("kvm1", gen, had.url, "sil-had"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.s.acks.put(ackEntry{Ack: wire.Ack{Host: "kvm2", Owner: "bob", Made: t0.Add(-time.Hour), Expires: t0}}); err != nil {
		t.Fatal(err)
	}
	r.s.resumeSilences()
	if c := lacked.next(t); c != "POST" {
		t.Errorf("call %q, want the lacking silence made", c)
	}
	r.waitSilences(t)
	had.none(t)
	lacked.none(t)
	want := map[string]string{had.url: "sil-had", lacked.url: "sil-new"}
	if ids := r.persisted(t, "kvm1"); !equalJSON(t, ids, want) {
		t.Errorf("persisted silences %v, want %v", ids, want)
	}
}

// Every Alertmanager's outcome series exists from the start (as the
// sinks'), so an increase() over the first refusal sees it.
func TestSilenceSeriesFromTheStart(t *testing.T) {
	m := newSilenceMetrics(prometheus.NewRegistry(), nil)
	newSilencer([]string{"http://am1:9093", "http://am2:9093"}, &http.Client{}, slog.New(slog.DiscardHandler), m)
	if n := testutil.CollectAndCount(m.outcomes); n != 6 {
		t.Errorf("hvconsole_silences_total has %d series at start, want 6 (2 Alertmanagers x 3 outcomes)", n)
	}
}
