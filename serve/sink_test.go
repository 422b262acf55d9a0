package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvconsole/hvconsole/hosts"
)

// recorder is an HTTP sink that answers with the given codes in turn (the
// last one repeats) and hands every body it receives to bodies.
type recorder struct {
	mu     sync.Mutex
	codes  []int
	bodies chan []byte
}

func newRecorder(codes ...int) (*recorder, *httptest.Server) {
	r := &recorder{codes: codes, bodies: make(chan []byte, 64)}
	return r, httptest.NewServer(r)
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	code := r.codes[0]
	if len(r.codes) > 1 {
		r.codes = r.codes[1:]
	}
	r.mu.Unlock()
	if req.Header.Get("Content-Type") != "application/json" {
		code = http.StatusUnsupportedMediaType
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, "answer\x1b[31m for "+req.URL.Path)
	r.bodies <- b
}

func waitBody(t *testing.T, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a delivery")
	}
	return nil
}

func newTestSink(t *testing.T, kind, url string, log *bytes.Buffer) (*sink, *prometheus.CounterVec) {
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_total", Help: "x"}, []string{"sink", "outcome"})
	k := newSink(kind, url, &http.Client{}, slog.New(slog.NewTextHandler(log, nil)), sent)
	k.wait = func(ctx context.Context, _ time.Duration) bool { return ctx.Err() == nil }
	return k, sent
}

func TestSinkOutcomes(t *testing.T) {
	tests := []struct {
		name                   string
		codes                  []int
		deliveries             int
		sent, retried, dropped float64
		log                    string
	}{
		{"accepted", []int{200}, 1, 1, 0, 0, ""},
		{"server error retried", []int{503, 500, 200}, 3, 1, 2, 0, "retrying"},
		{"rate limit retried", []int{429, 200}, 2, 1, 1, 0, "retrying"},
		{"client error not retried, logged with its answer", []int{400}, 1, 0, 0, 1, `alert delivery rejected" sink=`},
		{"out of attempts", []int{502}, sinkAttempts, 0, sinkAttempts - 1, 1, "dropped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, srv := newRecorder(tc.codes...)
			defer srv.Close()
			var log bytes.Buffer
			k, sent := newTestSink(t, kindAlertmanager, srv.URL+"/", &log)
			k.deliver(t.Context(), []byte(`[]`)) // synchronous: the queue is tested below
			if n := len(rec.bodies); n != tc.deliveries {
				t.Errorf("%d deliveries, want %d", n, tc.deliveries)
			}
			for o, want := range map[string]float64{outcomeSent: tc.sent, outcomeRetried: tc.retried, outcomeDropped: tc.dropped} {
				if got := testutil.ToFloat64(sent.WithLabelValues(srv.URL+"/", o)); got != want {
					t.Errorf("%s = %v, want %v", o, got, want)
				}
			}
			if !strings.Contains(log.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log.String())
			}
			if tc.codes[0] == 400 && (!strings.Contains(log.String(), "status=400 answer=") || !strings.Contains(log.String(), "for /api/v2/alerts")) {
				t.Errorf("a rejection is logged without its answer:\n%s", log.String())
			}
			if strings.Contains(log.String(), "\x1b") {
				t.Errorf("remote answer logged with a control character:\n%q", log.String())
			}
		})
	}
}

func TestSinkPostsToAlertmanagerAPI(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { path = r.URL.Path }))
	defer srv.Close()
	var log bytes.Buffer
	k, _ := newTestSink(t, kindAlertmanager, srv.URL+"/am/", &log)
	if status, _, err := k.post(t.Context(), []byte("[]")); err != nil || status != 200 || path != "/am/api/v2/alerts" {
		t.Errorf("post = %d, %v, path %q; want 200 at /am/api/v2/alerts", status, err, path)
	}
}

func TestSinkQueueDropsOldestWhenFull(t *testing.T) {
	var log bytes.Buffer
	k, sent := newTestSink(t, kindWebhook, "http://127.0.0.1:1/x", &log)
	for i := range sinkQueueLen + 3 {
		k.enqueue([]byte{byte(i)})
	}
	first, _ := k.pop()
	if first[0] != 3 || testutil.ToFloat64(sent.WithLabelValues("http://127.0.0.1:1/x", outcomeDropped)) != 3 {
		t.Errorf("oldest kept %d, dropped %v; want 3 and 3", first[0], testutil.ToFloat64(sent.WithLabelValues("http://127.0.0.1:1/x", outcomeDropped)))
	}
}

// A sink that never answers does not hold up another: each has its own
// queue and goroutine.
func TestHangingSinkDoesNotDelayOthers(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	rec, ok := newRecorder(200)
	defer ok.Close()
	var log bytes.Buffer
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_total", Help: "x"}, []string{"sink", "outcome"})
	n := newNotifier(alertingCfgWith([]string{hang.URL, ok.URL}, nil), "", &http.Client{},
		slog.New(slog.NewTextHandler(&log, nil)), sent)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	n.run(ctx, &wg)
	defer func() { cancel(); wg.Wait() }()
	for i := range 3 {
		n.changed([]*alert{{Labels: map[string]string{"alertname": "X", "n": string(rune('a' + i))}, StartsAt: t0}}, t0)
		var got []postableAlert
		if err := json.Unmarshal(waitBody(t, rec.bodies), &got); err != nil || len(got) != 1 {
			t.Fatalf("delivery %d: %v %v", i, got, err)
		}
	}
}

func alertingCfgWith(ams, hooks []string) hosts.Alerting {
	c := alertingCfg()
	c.Alertmanagers, c.Webhooks = ams, hooks
	return c
}

// Retries back off with jitter: each wait is between half and all of a
// delay that doubles from sinkBackoffMin up to sinkBackoffMax, or up to a
// quarter of a short resend interval, so a sink that comes back gets its
// alerts within that interval.
func TestSinkBacksOffWithJitter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		resend  time.Duration
		ceiling time.Duration
	}{
		{"no resend interval", 0, sinkBackoffMax},
		{"the default resend interval", time.Minute, sinkBackoffMax},
		{"a short resend interval", 2 * time.Second, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := newRecorder(http.StatusBadGateway)
			defer srv.Close()
			var log bytes.Buffer
			k, _ := newTestSink(t, kindWebhook, srv.URL, &log)
			k.within(tc.resend)
			var waits []time.Duration
			k.wait = func(ctx context.Context, d time.Duration) bool {
				waits = append(waits, d)
				return ctx.Err() == nil
			}
			k.deliver(t.Context(), []byte(`{}`))
			if len(waits) != sinkAttempts-1 {
				t.Fatalf("%d waits, want %d (one between attempts)", len(waits), sinkAttempts-1)
			}
			delay := sinkBackoffMin
			for i, w := range waits {
				if w < delay/2 || w > delay {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, w, delay/2, delay)
				}
				delay = min(2*delay, tc.ceiling)
			}
			if tc.ceiling < sinkBackoffMax && waits[len(waits)-1] > tc.ceiling {
				t.Errorf("last wait %v over the ceiling %v", waits[len(waits)-1], tc.ceiling)
			}
		})
	}
}

// Every configured Alertmanager gets every alert (Alertmanager's HA design:
// each cluster member, never a load balancer), and so does every webhook.
func TestEverySinkGetsEveryAlert(t *testing.T) {
	var recs []*recorder
	var urls []string
	for range 3 {
		rec, srv := newRecorder(200)
		defer srv.Close()
		recs, urls = append(recs, rec), append(urls, srv.URL)
	}
	var log bytes.Buffer
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_total", Help: "x"}, []string{"sink", "outcome"})
	n := newNotifier(alertingCfgWith(urls[:2], urls[2:]), "", &http.Client{}, slog.New(slog.NewTextHandler(&log, nil)), sent)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	n.run(ctx, &wg)
	defer func() { cancel(); wg.Wait() }()
	n.changed([]*alert{{Labels: map[string]string{"alertname": "HypervisorDown", "host": "kvm1"}, StartsAt: t0}}, t0)
	for i, rec := range recs {
		if body := waitBody(t, rec.bodies); !bytes.Contains(body, []byte(`"HypervisorDown"`)) {
			t.Errorf("sink %d got %s", i, body)
		}
	}
}
