package tui

import (
	"strconv"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes"
)

// benchModel is a fully reported fleet of n hosts at 160x48, in colour.
func benchModel(b *testing.B, n int) Model {
	inv := inventory(n)
	m := newTestModel(b, inv, func(o *Options) { o.NoColor = false }, 160, 48)
	return mixedFleet(b, m, inv)
}

// BenchmarkView draws a full frame; only visible rows are rendered, so the
// cost should barely grow from 100 to 1,000 hosts.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := benchModel(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkUpdate applies one report (a latency and status change that
// moves the row in worst-first order) as the scheduler would send it.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := benchModel(b, n)
			inv := inventory(n)
			flip := []probes.HostReport{
				report(inv[n/2], probes.WARN, "load high", t0),
				report(inv[n/2], probes.OK, "", t0),
			}
			msgs := []reportsMsg{{reports: flip[:1]}, {reports: flip[1:]}}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				next, _ := m.Update(msgs[i%2])
				m = next.(Model)
				i++
			}
		})
	}
}

// BenchmarkUpdateRound applies a whole round (every host in one batch).
func BenchmarkUpdateRound(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m := benchModel(b, n)
			inv := inventory(n)
			round := make([]probes.HostReport, n)
			for i, h := range inv {
				round[i] = report(h, probes.OK, "", t0.Add(-time.Second))
				round[i].SSHLatency = time.Duration(i%50+1) * time.Millisecond
			}
			msg := reportsMsg{reports: round}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				next, _ := m.Update(msg)
				m = next.(Model)
			}
		})
	}
}
