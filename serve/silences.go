package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// silenceTimeout bounds one call to one Alertmanager; a failed creation
// is retried after a pause from silenceBackoffMin doubling to
// silenceBackoffMax (each jittered between half and all of it).
const (
	silenceTimeout    = 10 * time.Second
	silenceAnswerSize = 4096 // an answer read past it is dropped
	silenceBackoffMin = time.Second
	silenceBackoffMax = 30 * time.Second
)

// Silence creation outcomes, the outcome label of hvconsole_silences_total.
const (
	silenceCreated = "created"
	silenceRetried = "retried"
	silenceRefused = "refused"
)

// silencer mirrors acks as Alertmanager silences on every configured
// Alertmanager: POST /api/v2/silences when an ack is made, DELETE
// /api/v2/silence/{id} when it ends. Calls run off the main loop, each
// bounded. A creation that fails is retried per Alertmanager until it
// succeeds, the Alertmanager refuses it (a 4xx), its ack ends or is
// replaced (stop), or serve stops (ctx); a failed deletion is logged (the
// silence then ends by its endsAt, the ack's expiry). wait returns when
// every call and retry has ended.
type silencer struct {
	ams     []string
	client  *http.Client
	log     *slog.Logger
	metrics silenceMetrics
	ctx     context.Context
	wg      sync.WaitGroup
	// pause waits between attempts, false when ctx ended first; tests step it.
	pause func(ctx context.Context, d time.Duration) bool

	mu        sync.Mutex
	creations map[string]*creation // by host: its current ack's
}

// silenceMetrics are the silencer's metrics (registered in metrics.go).
type silenceMetrics struct {
	pending  prometheus.Gauge       // creations that failed and are being retried
	outcomes *prometheus.CounterVec // attempts by alertmanager and outcome
}

// creation is the running creation of one ack's silences: cancel stops its
// retries; left counts its Alertmanagers not done yet.
type creation struct {
	cancel context.CancelFunc
	left   int
}

func newSilencer(ams []string, client *http.Client, log *slog.Logger, m silenceMetrics) *silencer {
	for _, am := range ams {
		for _, o := range []string{silenceCreated, silenceRetried, silenceRefused} {
			m.outcomes.WithLabelValues(am, o) // every series exists from the start, as the sinks'
		}
	}
	return &silencer{ams: ams, client: client, log: log, metrics: m, pause: sleepCtx, creations: map[string]*creation{}}
}

// amMatcher is one matcher of an Alertmanager v2 silence.
type amMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// amSilence is the body of POST /api/v2/silences.
type amSilence struct {
	Matchers  []amMatcher `json:"matchers"`
	StartsAt  time.Time   `json:"startsAt"`
	EndsAt    time.Time   `json:"endsAt"`
	CreatedBy string      `json:"createdBy"`
	Comment   string      `json:"comment"`
}

// silenceFor is the silence of an ack: the host's alerts of the names
// firing when it was made (any name when none fires yet), until the ack
// expires, by its owner, with its note.
func silenceFor(e ackEntry, names []string) amSilence {
	name := amMatcher{Name: "alertname", Value: ".+", IsRegex: true, IsEqual: true}
	if len(names) > 0 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = regexp.QuoteMeta(n)
		}
		name.Value = strings.Join(quoted, "|")
	}
	comment := e.Note
	if comment == "" {
		comment = "acknowledged in hvconsole"
	}
	return amSilence{
		Matchers: []amMatcher{{Name: "host", Value: e.Host, IsEqual: true}, name},
		StartsAt: e.Made, EndsAt: e.Expires, CreatedBy: e.Owner, Comment: comment,
	}
}

// create makes the ack's silence on the Alertmanagers ams, each on its
// own goroutine, and hands done each ID as its Alertmanager answers. It
// stops the retries of the host's previous ack.
func (s *silencer) create(e ackEntry, ams, names []string, done func(am, id string)) {
	s.stop(e.Host)
	if len(ams) == 0 {
		return
	}
	body, err := json.Marshal(silenceFor(e, names))
	if err != nil {
		s.log.Error("silence", "host", e.Host, "err", err)
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	c := &creation{cancel: cancel, left: len(ams)}
	s.mu.Lock()
	s.creations[e.Host] = c
	s.mu.Unlock()
	for _, am := range ams {
		s.wg.Go(func() {
			s.createOn(ctx, am, e.Host, body, done)
			s.finish(e.Host, c)
		})
	}
}

// stop ends the retries of host's silence creation (its ack ended or is
// replaced). An attempt under way runs to its end: a silence it makes
// still reaches done, which deletes it when its ack is gone.
func (s *silencer) stop(host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.creations[host]; ok {
		delete(s.creations, host)
		c.cancel()
	}
}

// finish counts one of c's Alertmanagers done and forgets c after the last.
func (s *silencer) finish(host string, c *creation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.left--; c.left > 0 {
		return
	}
	if s.creations[host] == c {
		delete(s.creations, host)
	}
	c.cancel()
}

// createOn makes one silence on am. A network error, a timeout, a 5xx or a
// 429 is retried with backoff and jitter until ctx ends; any other 4xx
// means our request is wrong, so it is logged once and not retried. Each
// attempt is bounded by silenceTimeout and runs under serve's context, not
// ctx, so an attempt under way when the ack ends is not cut off with its
// silence made and its ID lost.
func (s *silencer) createOn(ctx context.Context, am, host string, body []byte, done func(am, id string)) {
	delay := silenceBackoffMin
	for attempt := 1; ; attempt++ {
		id, err := s.post(am, body)
		var refused *refusedError
		switch {
		case err == nil:
			s.count(am, silenceCreated)
			s.log.Info("silence created", "alertmanager", am, "host", host, "id", id, "attempt", attempt)
			done(am, id)
			return
		case errors.As(err, &refused):
			s.count(am, silenceRefused)
			s.log.Error("silence refused, not retried", "alertmanager", am, "host", host, "err", err)
			return
		case ctx.Err() != nil: // the ack ended, was replaced or expired, or serve stops
			s.log.Info("silence retries stopped", "alertmanager", am, "host", host, "attempts", attempt, "err", err)
			return
		}
		if attempt == 1 {
			s.metrics.pending.Inc()
			defer s.metrics.pending.Dec()
		}
		s.count(am, silenceRetried)
		s.log.Warn("silence not created, retrying", "alertmanager", am, "host", host, "attempt", attempt, "err", err)
		if !s.pause(ctx, jittered(delay)) {
			s.log.Info("silence retries stopped", "alertmanager", am, "host", host, "attempts", attempt)
			return
		}
		delay = min(2*delay, silenceBackoffMax)
	}
}

func (s *silencer) count(am, outcome string) { s.metrics.outcomes.WithLabelValues(am, outcome).Inc() }

// refusedError is an Alertmanager's 4xx (other than 429) to a silence:
// the request is at fault, and sending it again would not help.
type refusedError struct{ status, answer string }

func (e *refusedError) Error() string { return e.status + ": " + e.answer }

func (s *silencer) post(am string, body []byte) (string, error) {
	status, data, err := postJSON(s.ctx, s.client, strings.TrimRight(am, "/")+"/api/v2/silences", body,
		silenceTimeout, silenceAnswerSize)
	if err != nil {
		return "", err
	}
	answer := remote.CleanLine(string(bytes.TrimSpace(data)))
	line := fmt.Sprintf("%d %s", status, http.StatusText(status)) // as resp.Status says it
	switch {
	case rejected(status):
		return "", &refusedError{line, answer}
	case status != http.StatusOK:
		return "", fmt.Errorf("%s: %s", line, answer)
	}
	var out struct {
		ID string `json:"silenceID"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("no silenceID in the answer %q", answer)
	}
	return out.ID, nil
}

// expire deletes silences by Alertmanager URL.
func (s *silencer) expire(ids map[string]string) {
	for am, id := range ids {
		s.wg.Go(func() {
			ctx, cancel := context.WithTimeout(s.ctx, silenceTimeout)
			defer cancel()
			u := strings.TrimRight(am, "/") + "/api/v2/silence/" + url.PathEscape(id)
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
			if err != nil {
				return
			}
			resp, err := s.client.Do(req)
			if err != nil {
				s.log.Warn("silence not deleted", "alertmanager", am, "id", id, "err", err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				s.log.Warn("silence not deleted", "alertmanager", am, "id", id, "status", resp.Status)
				return
			}
			s.log.Info("silence deleted", "alertmanager", am, "id", id)
		})
	}
}

// wait returns when every call and retry has ended (serve's context ended
// first), and closes the idle
// connections they left.
func (s *silencer) wait() {
	s.wg.Wait()
	s.client.CloseIdleConnections()
}
