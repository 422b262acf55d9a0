package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Sink delivery limits. A sink is Alertmanager or a webhook; each has its
// own queue and goroutine, so a slow or dead one never delays probing or
// another sink.
const (
	sinkQueueLen     = 256
	sinkTimeout      = 10 * time.Second
	sinkAttempts     = 6
	sinkBackoffMin   = 250 * time.Millisecond
	sinkBackoffMax   = 15 * time.Second
	maxErrorBodySize = 1024
)

// Delivery outcomes, the outcome label of hvconsole_alerts_sent_total.
const (
	outcomeSent    = "sent"
	outcomeRetried = "retried"
	outcomeDropped = "dropped"
)

// Sink kinds.
const (
	kindAlertmanager = "alertmanager"
	kindWebhook      = "webhook"
)

// sink delivers encoded payloads to one URL in order, with retries.
type sink struct {
	kind   string
	url    string // where payloads are POSTed
	name   string // the configured URL: log field and metric label
	client *http.Client
	log    *slog.Logger
	sent   *prometheus.CounterVec

	mu     sync.Mutex
	queue  [][]byte
	notify chan struct{}

	// wait sleeps between attempts; tests make it instant.
	wait func(ctx context.Context, d time.Duration) bool
	// maxDelay caps the wait between attempts (sinkBackoffMax, or less
	// under a short resend interval: see within).
	maxDelay time.Duration
}

// within caps k's retry delay at a quarter of resend: a sink that comes
// back gets the queued alerts within the resend interval, as the
// Alertmanager client contract expects (the resend would relearn them
// then anyway), however long it was away.
func (k *sink) within(resend time.Duration) *sink {
	if resend > 0 {
		k.maxDelay = max(sinkBackoffMin, min(sinkBackoffMax, resend/4))
	}
	return k
}

func newSink(kind, configured string, client *http.Client, log *slog.Logger, sent *prometheus.CounterVec) *sink {
	url := configured
	if kind == kindAlertmanager {
		url = strings.TrimRight(configured, "/") + "/api/v2/alerts"
	}
	for _, o := range []string{outcomeSent, outcomeRetried, outcomeDropped} {
		sent.WithLabelValues(configured, o) // every series exists from the start
	}
	return &sink{kind: kind, url: url, name: configured, client: client, log: log.With("sink", configured),
		sent: sent, notify: make(chan struct{}, 1), wait: sleepCtx, maxDelay: sinkBackoffMax}
}

// enqueue never blocks: when the queue is full the oldest payload is
// dropped (a newer one carries newer state).
func (k *sink) enqueue(body []byte) {
	k.mu.Lock()
	if len(k.queue) >= sinkQueueLen {
		k.queue = k.queue[1:]
		k.count(outcomeDropped)
		k.log.Warn("alert delivery dropped", "reason", "queue full")
	}
	k.queue = append(k.queue, body)
	k.mu.Unlock()
	select {
	case k.notify <- struct{}{}:
	default:
	}
}

func (k *sink) count(outcome string) { k.sent.WithLabelValues(k.name, outcome).Inc() }

func (k *sink) pop() ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.queue) == 0 {
		return nil, false
	}
	b := k.queue[0]
	k.queue[0] = nil
	k.queue = k.queue[1:]
	return b, true
}

// run delivers queued payloads until ctx ends; what is still queued then
// is discarded (stopping serve resolves nothing).
func (k *sink) run(ctx context.Context) {
	for {
		body, ok := k.pop()
		if !ok {
			select {
			case <-k.notify:
				continue
			case <-ctx.Done():
				return
			}
		}
		k.deliver(ctx, body)
	}
}

// deliver posts one payload: a 2xx is sent; a 4xx other than 429 is the
// payload's fault, logged with the answer and not retried; anything else
// is retried with backoff and jitter, then dropped.
func (k *sink) deliver(ctx context.Context, body []byte) {
	delay := sinkBackoffMin // maxDelay is never below it (within)
	for attempt := 1; ; attempt++ {
		status, answer, err := k.post(ctx, body)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && status/100 == 2:
			k.count(outcomeSent)
			return
		case err == nil && rejected(status):
			k.count(outcomeDropped)
			k.log.Error("alert delivery rejected", "status", status, "answer", answer)
			return
		case attempt >= sinkAttempts:
			k.count(outcomeDropped)
			k.log.Error("alert delivery failed, dropped", "attempts", attempt, "err", describe(status, err))
			return
		}
		k.count(outcomeRetried)
		k.log.Warn("alert delivery failed, retrying", "attempt", attempt, "err", describe(status, err))
		if !k.wait(ctx, jittered(delay)) {
			return
		}
		delay = min(2*delay, k.maxDelay)
	}
}

func describe(status int, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("HTTP %d", status)
}

// post sends body once under sinkTimeout; answer is the start of the body
// of a non-2xx answer, cleaned for the log.
func (k *sink) post(ctx context.Context, body []byte) (status int, answer string, err error) {
	status, b, err := postJSON(ctx, k.client, k.url, body, sinkTimeout, maxErrorBodySize)
	if err != nil || status/100 == 2 {
		return status, "", err
	}
	return status, remote.CleanLine(string(b)), nil
}

// postJSON POSTs body to url once under timeout and returns the answer's
// status and its first limit bytes; the rest is read and dropped (up to
// 1 MiB) so the connection is reused. The sinks and the silencer share it.
func postJSON(ctx context.Context, client *http.Client, url string, body []byte, timeout time.Duration,
	limit int64) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	return resp.StatusCode, b, nil
}

// rejected reports whether an answer's status puts the fault on the
// request (a 4xx other than 429): sending it again would not help.
func rejected(status int) bool {
	return status/100 == 4 && status != http.StatusTooManyRequests
}

// jittered is a retry pause for delay: between half and all of it, so
// many clients retrying at once spread out.
func jittered(delay time.Duration) time.Duration { return delay/2 + rand.N(delay/2+1) }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
