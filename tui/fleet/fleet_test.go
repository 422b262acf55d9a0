package fleet

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func newTable(n int) Table {
	inv := make([]hosts.Host, n)
	for i := range inv {
		inv[i] = hosts.Host{Name: fmt.Sprintf("h%03d", i), Tags: []string{"rack" + fmt.Sprint(i%4)}}
	}
	return New(inv, theme.New(true, false), keys.Default(), func() time.Time { return t0 })
}

func rep(name string, st probes.Status, lat time.Duration, at time.Time) probes.HostReport {
	return probes.HostReport{Host: name, Status: st, SSHLatency: lat, Time: at,
		Checks: []probes.Result{{Check: "hypervisor", Status: st, Summary: "s"}}}
}

func names(t Table) []string {
	var out []string
	t.Ordered(func(h *Host) bool { out = append(out, h.Name); return true })
	return out
}

func TestFilterMatch(t *testing.T) {
	tb := newTable(8)
	tb.Apply(rep("h001", probes.CRIT, time.Millisecond, t0))
	tb.Apply(rep("h002", probes.WARN, time.Millisecond, t0))
	tb.Settle()
	tests := []struct {
		filter string
		want   int
	}{
		{"", 8}, {"h00", 8}, {"H001", 1}, {"rack1", 2}, {"tag:rack1", 2}, {"tag:rack", 0},
		{"status:crit", 1}, {"status:WARN", 1}, {"status:pending", 6}, {"status:bogus", 0},
		{"status:", 8}, {"status:crit rack1", 1}, {"status:crit rack2", 0}, {"zzz", 0},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			tb.SetFilter(tt.filter)
			if tb.Shown() != tt.want {
				t.Fatalf("filter %q shows %d, want %d", tt.filter, tb.Shown(), tt.want)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "status:crit", "tag:x y", "status:", "tag:", "\x00 status:ok"} {
		f.Add(s)
	}
	tb := newTable(4)
	f.Fuzz(func(t *testing.T, s string) {
		flt := ParseFilter(s)
		for _, i := range tb.index {
			_ = flt.Match(tb.rows[i])
		}
		if flt.Text() != s {
			t.Fatal("filter text not kept")
		}
	})
}

func TestSortModes(t *testing.T) {
	tb := newTable(4)
	tb.Apply(rep("h000", probes.OK, 5*time.Millisecond, t0.Add(-time.Hour)))
	tb.Apply(rep("h001", probes.CRIT, 0, t0.Add(-time.Minute)))
	tb.Apply(rep("h002", probes.WARN, 50*time.Millisecond, t0.Add(-2*time.Hour)))
	tb.Settle()
	tests := []struct {
		mode SortMode
		want []string
	}{
		{SortWorst, []string{"h001", "h002", "h003", "h000"}}, // pending ranks between OK and WARN
		{SortName, []string{"h000", "h001", "h002", "h003"}},
		{SortLatency, []string{"h002", "h000", "h001", "h003"}}, // unreachable and pending last
		{SortChange, []string{"h001", "h000", "h002", "h003"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			tb.SetSort(tt.mode)
			if got := names(tb); !slices.Equal(got, tt.want) {
				t.Fatalf("order %v, want %v", got, tt.want)
			}
		})
	}
}

// TestIncrementalOrderMatchesRebuild applies random reports and checks the
// lazily repositioned order always equals a full re-sort, and the counts a
// recount.
func TestIncrementalOrderMatchesRebuild(t *testing.T) {
	for _, mode := range []SortMode{SortWorst, SortLatency, SortChange} {
		t.Run(mode.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(mode)))
			tb := newTable(60)
			tb.SetSort(mode)
			tb.SetFilter("status:crit")
			tb.SetFilter("")
			for round := 0; round < 200; round++ {
				for k := 0; k < 1+rng.IntN(5); k++ {
					name := fmt.Sprintf("h%03d", rng.IntN(60))
					st := probes.Status(rng.IntN(4))
					tb.Apply(rep(name, st, time.Duration(rng.IntN(4))*time.Millisecond, t0.Add(time.Duration(round)*time.Second)))
				}
				tb.Settle()
				want := tb
				want.order = slices.Clone(tb.order)
				want.dirty = true
				want.rebuild()
				if !slices.Equal(tb.order, want.order) {
					t.Fatalf("round %d: incremental order differs from a full sort", round)
				}
			}
			var c Counts
			for _, h := range tb.rows {
				if h.Pending() {
					c.Pending++
					continue
				}
				c.ByStatus[h.Status()]++
				c.Running += h.running
				c.VMsTotal += h.total
			}
			if c != tb.Counts() {
				t.Fatalf("counts %+v, recount %+v", tb.Counts(), c)
			}
		})
	}
}

func TestViewRendersOnlyVisibleRows(t *testing.T) {
	tb := newTable(1000)
	tb.SetSize(100, 12)
	lines := 0
	for _, c := range tb.View() {
		if c == '\n' {
			lines++
		}
	}
	if lines != 11 {
		t.Fatalf("view has %d lines, want 12", lines+1)
	}
}
