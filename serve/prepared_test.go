package serve

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPreparedMetrics: a scrape gets the exposition the previous one
// started; a first one, one after maxPreparedAge and a filtered one are
// live; an error is served once and never kept; each kind of request has
// its own; nothing is prepared once the collector stops.
func TestPreparedMetrics(t *testing.T) {
	var calls atomic.Int64
	var failNext atomic.Bool
	live := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if failNext.Swap(false) {
			http.Error(w, "gather failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(r.Header.Get("Accept") + " n=" + strconv.FormatInt(n, 10)))
	})
	var mu sync.Mutex
	now := t0
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	p := newPreparedMetrics(live, clock)
	get := func(target, accept string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, req)
		p.wg.Wait() // the preparation it started, if any
		return rec.Code, rec.Body.String()
	}
	steps := []struct {
		name, target, accept string
		advance              time.Duration
		fail                 bool
		code                 int
		want                 string
		calls                int64 // live calls after the request and its preparation
	}{
		{name: "first is live", target: "/metrics", accept: "a", code: 200, want: "a n=1", calls: 1},
		{name: "then the prepared one, and the next prepared", target: "/metrics", accept: "a", code: 200, want: "a n=1", calls: 2},
		{name: "as of the previous scrape", target: "/metrics", accept: "a", code: 200, want: "a n=2", calls: 3},
		{name: "another kind is live first", target: "/metrics", accept: "b", code: 200, want: "b n=4", calls: 4},
		{name: "too old: live", target: "/metrics", accept: "a", advance: maxPreparedAge + time.Second, code: 200,
			want: "a n=5", calls: 5},
		{name: "filtered: live", target: "/metrics?name[]=x", accept: "a", code: 200, want: "a n=6", calls: 6},
		{name: "prepared", target: "/metrics", accept: "a", code: 200, want: "a n=5", calls: 7},
		{name: "too old and failing: served", target: "/metrics", accept: "a", advance: maxPreparedAge + time.Second,
			fail: true, code: 500, want: "gather failed\n", calls: 8},
		{name: "never kept", target: "/metrics", accept: "a", advance: maxPreparedAge + time.Second, code: 200,
			want: "a n=9", calls: 9},
	}
	for _, s := range steps {
		mu.Lock()
		now = now.Add(s.advance)
		mu.Unlock()
		failNext.Store(s.fail)
		if code, body := get(s.target, s.accept); code != s.code || body != s.want || calls.Load() != s.calls {
			t.Errorf("%s: %d %q after %d live calls; want %d %q after %d", s.name, code, body, calls.Load(),
				s.code, s.want, s.calls)
		}
	}
	p.wait()
	if _, body := get("/metrics", "a"); body != "a n=9" || calls.Load() != 9 {
		t.Errorf("after stopping: %q, %d live calls; want the prepared one and no preparation", body, calls.Load())
	}
}
