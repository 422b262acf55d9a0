package main

import (
	"runtime"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
)

// BenchmarkDemoSteadyRound1000 is a full probe round over 1,000 simulated
// hosts with connections already open, through the production client path
// (pool, scheduler, go-libvirt over the SSH channel). It also reports the
// heap held per host once every connection is open, server side included:
// the simulated hosts live in the same process.
func BenchmarkDemoSteadyRound1000(b *testing.B) {
	const n = 1000
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	fl, err := simfleet.Start(b.Context(), simfleet.Options{Hosts: n, Quiet: true})
	if err != nil {
		b.Fatal(err)
	}
	defer fl.Close()
	cfg, err := hosts.Load(fl.ConfigPath())
	if err != nil {
		b.Fatal(err)
	}
	f, err := openFleet(b.Context(), &environment{getenv: func(string) string { return "" }}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for _, r := range f.sched.Round(b.Context(), cfg.Hosts) { // connect every host
		if w, _ := r.Worst(); r.Status.String() != "OK" {
			b.Fatalf("%s is %s: %s", r.Host, r.Status, w.Summary)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapInuse-before.HeapInuse) / n / 1024
	b.ResetTimer()
	for b.Loop() {
		f.sched.Round(b.Context(), cfg.Hosts)
	}
	b.ReportMetric(heap, "heap-KiB/host") // after the loop: ResetTimer drops metrics
}
