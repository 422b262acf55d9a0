package probes

import (
	"fmt"
	"testing"

	"github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// benchRound measures a steady round (connections open, no slow fact due)
// over n fake hosts with a few domains each.
func benchRound(b *testing.B, n int) {
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

func BenchmarkClean(b *testing.B) {
	s := "\x1b[31mvm-042\x1b[0m paused (ioerror) \u202e" + string(make([]byte, 64))
	b.ReportAllocs()
	for b.Loop() {
		remote.CleanLine(s)
	}
}
