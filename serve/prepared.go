package serve

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"time"
)

// maxPreparedAge bounds how old a prepared exposition may be when a scrape
// gets it: above Prometheus' default scrape interval (1m), so every usual
// scrape interval is served from one.
const maxPreparedAge = 90 * time.Second

// maxPreparedKinds bounds the expositions kept: one per kind of request
// (its Accept and Accept-Encoding headers); Prometheus sends one kind.
const maxPreparedKinds = 4

// preparedMetrics answers a scrape with the exposition prepared after the
// previous one, and prepares the next in the background. Encoding 10,000
// hosts takes a quarter of a second of CPU (BenchmarkScrape); in a
// collector whose cores are busy probing those hosts, a scrape that did
// that work while Prometheus waited took seconds. So the values a scrape
// gets are as of the previous scrape (one scrape interval older, at most
// maxPreparedAge), and the work is the same: one exposition per scrape. A
// first scrape, one after maxPreparedAge, and a request filtered by name[]
// are answered live.
type preparedMetrics struct {
	live http.Handler
	now  func() time.Time
	wg   sync.WaitGroup // preparations in the background

	mu     sync.Mutex
	kinds  map[string]*preparedKind
	closed bool
}

// preparedKind is the latest exposition of one kind of request.
type preparedKind struct {
	cur       *prepared
	preparing bool
}

// prepared is one whole response, never changed once made; at is zero
// for a response that is not kept (an error).
type prepared struct {
	at     time.Time
	code   int
	header http.Header
	body   []byte
}

func newPreparedMetrics(live http.Handler, now func() time.Time) *preparedMetrics {
	return &preparedMetrics{live: live, now: now, kinds: map[string]*preparedKind{}}
}

func (p *preparedMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.RawQuery != "" {
		p.live.ServeHTTP(w, r)
		return
	}
	key := r.Header.Get("Accept") + "\n" + r.Header.Get("Accept-Encoding")
	p.mu.Lock()
	k := p.kinds[key]
	if k == nil && len(p.kinds) < maxPreparedKinds {
		k = &preparedKind{}
		p.kinds[key] = k
	}
	var cur *prepared
	if k != nil && k.cur != nil && p.now().Sub(k.cur.at) <= maxPreparedAge {
		cur = k.cur
		if !k.preparing && !p.closed {
			k.preparing = true
			next := r.Clone(context.WithoutCancel(r.Context()))
			p.wg.Go(func() { p.store(k, p.prepare(next)) })
		}
	}
	p.mu.Unlock()
	if cur == nil {
		cur = p.prepare(r)
		if k != nil {
			p.store(k, cur)
		}
	}
	maps.Copy(w.Header(), cur.header)
	w.WriteHeader(cur.code)
	_, _ = w.Write(cur.body)
}

// prepare runs the live handler into memory.
func (p *preparedMetrics) prepare(r *http.Request) *prepared {
	rec := &responseBuffer{header: http.Header{}}
	at := p.now()
	p.live.ServeHTTP(rec, r)
	out := &prepared{code: max(rec.code, http.StatusOK), header: rec.header, body: rec.body}
	if out.code == http.StatusOK {
		out.at = at
	}
	return out
}

func (p *preparedMetrics) store(k *preparedKind, next *prepared) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k.preparing = false
	if !next.at.IsZero() && (k.cur == nil || !next.at.Before(k.cur.at)) {
		k.cur = next
	}
}

// wait stops starting preparations and waits for those running.
func (p *preparedMetrics) wait() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.wg.Wait()
}

// responseBuffer keeps a response in memory.
type responseBuffer struct {
	header http.Header
	code   int
	body   []byte
}

func (r *responseBuffer) Header() http.Header { return r.header }

func (r *responseBuffer) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *responseBuffer) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.body = append(r.body, b...)
	return len(b), nil
}
