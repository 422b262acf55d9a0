package tui

import (
	"bytes"
	"context"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
)

// BenchmarkKeyToFrame measures how long a key press takes to reach the
// screen while every host reports: the real program (renderer included) at
// 160x48, fed a whole round of reports every second (HVBENCH_HOSTS hosts,
// default 1,000; lab/bench-scale.sh sets it). Each iteration presses '?'
// and waits until the help title is written to the terminal, then presses
// '?' again and waits until host rows are written back: two samples. It
// reports the p50, p99 and worst key-to-frame times in milliseconds.
func BenchmarkKeyToFrame(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("HVBENCH_HOSTS")); err == nil && v > 0 {
		n = v
	}
	inv := inventory(n)
	src := newFakeSource(64)
	out := &frameWatch{}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(b.Context())
	var wg sync.WaitGroup
	wg.Go(func() { feedRounds(ctx, src, n) })
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, Options{Hosts: inv, NoColor: true}, src,
			tea.WithInput(pr), tea.WithOutput(out), tea.WithWindowSize(160, 48))
	}()
	defer func() {
		cancel()
		_ = pw.Close()
		<-done
		wg.Wait()
	}()
	wait := func(seen <-chan struct{}, marker string) {
		select {
		case <-seen:
		case <-time.After(30 * time.Second):
			b.Fatalf("%q not on screen within 30 s", marker)
		}
	}
	press := func(marker string) time.Duration {
		seen := out.expect(marker)
		start := time.Now()
		if _, err := pw.Write([]byte("?")); err != nil {
			b.Fatal(err)
		}
		wait(seen, marker)
		return time.Since(start)
	}
	wait(out.expect("kvm-"), "kvm-") // the first rows are on screen
	press("or esc closes")
	press("kvm-")
	var samples []time.Duration
	for b.Loop() {
		samples = append(samples, press("or esc closes"), press("kvm-"))
	}
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[int(p*float64(len(samples)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(float64(n), "hosts")
}

// feedRounds sends a report for every host each second until ctx ends;
// each round a different few hosts turn WARN, so rows move.
func feedRounds(ctx context.Context, src *fakeSource, n int) {
	inv := inventory(n)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for round := 0; ; round++ {
		for i, h := range inv {
			st := probes.OK
			if i%97 == round%97 {
				st = probes.WARN
			}
			select {
			case src.ch <- report(h, st, "load high", time.Now()):
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// frameWatch is the program's terminal: it signals when a marker appears
// in what is written after expect was called.
type frameWatch struct {
	mu    sync.Mutex
	want  []byte
	tail  []byte
	found chan struct{}
}

func (w *frameWatch) expect(marker string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want, w.tail, w.found = []byte(marker), nil, make(chan struct{})
	return w.found
}

func (w *frameWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.want == nil {
		return len(p), nil
	}
	buf := append(w.tail, p...)
	if bytes.Contains(buf, w.want) {
		close(w.found)
		w.want, w.tail = nil, nil
		return len(p), nil
	}
	w.tail = slices.Clone(buf[max(0, len(buf)-len(w.want)):])
	return len(p), nil
}
