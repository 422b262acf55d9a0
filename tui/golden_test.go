package tui

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// TestGoldenView compares whole screens, without colour, against
// testdata/TestGoldenView/*.golden. Regenerate with: go test ./tui -run
// TestGoldenView -update (then review the diff).
func TestGoldenView(t *testing.T) {
	inv := inventory(12)
	tests := []struct {
		name  string
		opts  func(*Options)
		setup func(testing.TB, Model) Model
	}{
		{"crit_fleet", nil, func(tb testing.TB, m Model) Model { return mixedFleet(tb, m, inv) }},
		{"pending_fleet", func(o *Options) { o.DemoBanner = "demo · audit: /tmp/audit.jsonl" }, nil},
		{"empty_filter", nil, func(tb testing.TB, m Model) Model {
			return typeKeys(tb, mixedFleet(tb, m, inv), "/no-such-host")
		}},
		{"help_overlay", func(o *Options) { o.ReadOnly = true }, func(tb testing.TB, m Model) Model {
			return step(tb, mixedFleet(tb, m, inv), keytest.Press("?"))
		}},
		{"help_overlay_scrolled", nil, func(tb testing.TB, m Model) Model {
			// the bottom of the help: the legend's long lines wrap, and
			// the top says how much is above
			return step(tb, step(tb, mixedFleet(tb, m, inv), keytest.Press("?")), keytest.Press("G"))
		}},
		{"war_room", func(o *Options) { o.WarRoom = true }, func(tb testing.TB, m Model) Model { return mixedFleet(tb, m, inv) }},
		{"zoomed_host", nil, func(tb testing.TB, m Model) Model {
			m = mixedFleet(tb, m, inv)
			m = step(tb, m, reportsMsg{reports: []probes.HostReport{report(inv[2], probes.OK, "", t0.Add(-30*time.Second))}})
			m = step(tb, m, keytest.Press("G"))
			m = step(tb, m, keytest.Press("g"))
			return step(tb, m, keytest.Press("enter"))
		}},
		{"resources_fleet", nil, func(tb testing.TB, m Model) Model { return resourcesFleet(tb, m, inv) }},
		{"resources_host", nil, func(tb testing.TB, m Model) Model {
			return zoomOn(tb, resourcesFleet(tb, m, inv), "kvm-05")
		}},
		{"resources_ascii", func(o *Options) { o.ASCII = true }, func(tb testing.TB, m Model) Model {
			return zoomOn(tb, resourcesFleet(tb, m, inv), "kvm-01")
		}},
		{"ascii_readonly_paused", func(o *Options) { o.ASCII, o.ReadOnly = true, true }, func(tb testing.TB, m Model) Model {
			return step(tb, mixedFleet(tb, m, inv), keytest.Press("p"))
		}},
	}
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"160x48", 160, 48}} {
		for _, tt := range tests {
			t.Run(tt.name+"_"+size.name, func(t *testing.T) {
				m := newTestModel(t, inv, tt.opts, size.w, size.h)
				if tt.setup != nil {
					m = tt.setup(t, m)
				}
				golden.RequireEqual(t, []byte(plain(m)))
			})
		}
	}
}

// zoomOn filters the fleet down to one host and zooms into its pane.
func zoomOn(tb testing.TB, m Model, name string) Model {
	tb.Helper()
	m = typeKeys(tb, m, "/"+name)
	return step(tb, step(tb, m, keytest.Press("enter")), keytest.Press("enter"))
}
