package reliability

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sample is one reading of the test process's resources.
type sample struct {
	At         time.Time `json:"at"`
	Goroutines int       `json:"goroutines"`
	FDs        int       `json:"fds"`
	HeapMiB    float64   `json:"heap_mib"` // live heap after a GC
	RSSMiB     float64   `json:"rss_mib"`
}

// sampleEvery is the sampling period: every minute, more often in runs
// shorter than 12 minutes, so a short run still has a dozen samples.
func sampleEvery(d time.Duration) time.Duration {
	return min(time.Minute, max(5*time.Second, d/12))
}

func takeSample() sample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := sample{At: time.Now(), Goroutines: runtime.NumGoroutine(), HeapMiB: float64(ms.HeapAlloc) / (1 << 20)}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.FDs = len(ents)
	}
	if data, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(data)); len(f) > 1 {
			pages, _ := strconv.ParseFloat(f[1], 64)
			s.RSSMiB = pages * float64(os.Getpagesize()) / (1 << 20)
		}
	}
	return s
}

// sampler takes a sample now and every period until stop.
type sampler struct {
	quit chan struct{}
	done chan struct{}
	mu   sync.Mutex
	got  []sample
}

func startSampler(t *testing.T, every time.Duration) *sampler {
	t.Helper()
	s := &sampler{quit: make(chan struct{}), done: make(chan struct{}), got: []sample{takeSample()}}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				smp := takeSample()
				s.mu.Lock()
				s.got = append(s.got, smp)
				s.mu.Unlock()
			case <-s.quit:
				return
			}
		}
	}()
	return s
}

// stop ends sampling and returns the samples, a last one included.
func (s *sampler) stop() resources {
	close(s.quit)
	<-s.done
	return resources{samples: append(s.got, takeSample())}
}

type resources struct{ samples []sample }

// growth fails when the second half of the run holds a reading well above
// everything the first half saw: a leak grows with time at a constant
// fleet, a plateau does not. The slack absorbs the faults' own churn (a
// few dials in flight, a redialled connection).
func (r resources) growth() error {
	n := len(r.samples)
	if n < 4 {
		return nil
	}
	first, second := r.samples[:n/2], r.samples[n/2:]
	peak := func(ss []sample, f func(sample) float64) float64 {
		m := 0.0
		for _, s := range ss {
			m = max(m, f(s))
		}
		return m
	}
	checks := []struct {
		name          string
		f             func(sample) float64
		factor, slack float64
	}{
		{"goroutines", func(s sample) float64 { return float64(s.Goroutines) }, 1.25, 40},
		{"open FDs", func(s sample) float64 { return float64(s.FDs) }, 1.25, 20},
		{"heap MiB", func(s sample) float64 { return s.HeapMiB }, 1.5, 8},
		{"RSS MiB", func(s sample) float64 { return s.RSSMiB }, 1.5, 32},
	}
	var bad []string
	for _, c := range checks {
		a, b := peak(first, c.f), peak(second, c.f)
		if b > a*c.factor+c.slack {
			bad = append(bad, fmt.Sprintf("%s grew from a peak of %.1f to %.1f", c.name, a, b))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("resources grow without bound: %s", strings.Join(bad, "; "))
	}
	return nil
}

// table is the samples as the README prints them.
func (r resources) table() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-9s %10s %5s %9s %8s\n", "time", "goroutines", "FDs", "heap MiB", "RSS MiB")
	t0 := r.samples[0].At
	for _, s := range r.samples {
		fmt.Fprintf(&b, "%-9s %10d %5d %9.1f %8.1f\n", s.At.Sub(t0).Round(time.Second), s.Goroutines, s.FDs, s.HeapMiB, s.RSSMiB)
	}
	return b.String()
}
