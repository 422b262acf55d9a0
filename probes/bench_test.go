package probes

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// benchFleet is n healthy fake hosts with a few domains each.
func benchFleet(n int) ([]string, []*fakeHost) {
	names := make([]string, n)
	fhs := make([]*fakeHost, n)
	for i := range names {
		names[i] = fmt.Sprintf("hv%04d", i)
		fhs[i] = healthyHost()
		fhs[i].lv.doms = []fakeDom{
			{name: "web", state: int32(libvirt.DomainRunning), reason: 1, autostart: true},
			{name: "db", state: int32(libvirt.DomainRunning), reason: 1},
			{name: "old", state: int32(libvirt.DomainShutoff), reason: 1},
		}
	}
	return names, fhs
}

// benchRound measures a steady round (connections open, no slow fact due)
// over n fake hosts with a few domains each.
func benchRound(b *testing.B, n int) {
	names, fhs := benchFleet(n)
	cfg, _, s := fleet(names, fhs, SchedulerOptions{UnitEvery: 1 << 30, KVMEvery: 1 << 30})
	defer s.Close()
	s.Round(b.Context(), cfg.Hosts) // cold round: connect, open, read slow facts
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		reps := s.Round(b.Context(), cfg.Hosts)
		if reps[n-1].Status != OK {
			b.Fatalf("status %v", reps[n-1].Status)
		}
	}
}

func BenchmarkRound100(b *testing.B)  { benchRound(b, 100) }
func BenchmarkRound1000(b *testing.B) { benchRound(b, 1000) }

// BenchmarkRunStacks measures the goroutine stacks Run holds per host while
// every host is probed continuously and most wait for a probe slot (as at
// 10,000 hosts): a prober lives as long as its host, so what its stack
// grows to is paid per host, and is not shrunk while it waits deep.
// lab/bench-scale.sh measures the whole client (connections included).
func BenchmarkRunStacks(b *testing.B) {
	const n = 1000
	names, fhs := benchFleet(n)
	for b.Loop() {
		cfg, _, s := fleet(names, fhs, SchedulerOptions{UnitEvery: 1 << 30, KVMEvery: 1 << 30})
		cfg.Concurrency = 4
		for i := range cfg.Hosts {
			cfg.Hosts[i].ProbeInterval = time.Millisecond
		}
		base := stackSample()
		ctx, cancel := context.WithCancel(b.Context())
		errc := make(chan error, 1)
		go func() { errc <- s.Run(ctx) }()
		seen := map[string]int{}
		for twice := 0; twice < n; {
			select {
			case r := <-s.Updates():
				if seen[r.Host]++; seen[r.Host] == 2 {
					twice++
				}
			case <-time.After(time.Minute):
				b.Fatalf("%d of %d hosts reported twice in a minute", twice, n)
			}
		}
		held := stackSample()
		cancel()
		<-errc
		for range s.Updates() {
		}
		_ = s.Close()
		b.ReportMetric(float64(held.stack-base.stack)/n/1024, "stack-KB/host")
		b.ReportMetric(float64(held.goroutines-base.goroutines)/n, "goroutines/host")
	}
}

// stackSample is the goroutine stacks in use and the goroutines, after
// the garbage collector has had cycles to shrink stacks that once ran deep.
func stackSample() (s struct {
	stack      uint64
	goroutines int
}) {
	for range 4 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.stack, s.goroutines = m.StackInuse, runtime.NumGoroutine()
	return s
}

func BenchmarkClean(b *testing.B) {
	s := "\x1b[31mvm-042\x1b[0m paused (ioerror) \u202e" + string(make([]byte, 64))
	b.ReportAllocs()
	for b.Loop() {
		remote.CleanLine(s)
	}
}
