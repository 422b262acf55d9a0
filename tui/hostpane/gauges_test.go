package hostpane

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/eventlog"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

const gib = uint64(1) << 30

func TestBar(t *testing.T) {
	tests := []struct {
		name  string
		frac  float64
		width int
		g     theme.Glyphs
		want  string
	}{
		{"ascii empty", 0, 10, theme.ASCII, "[........]"},
		{"ascii half", 0.5, 10, theme.ASCII, "[####....]"},
		{"ascii full", 1, 10, theme.ASCII, "[########]"},
		{"ascii over full", 1.5, 10, theme.ASCII, "[########]"},
		{"ascii tiny shows", 0.001, 10, theme.ASCII, "[#.......]"},
		{"ascii almost full is not full", 0.999, 10, theme.ASCII, "[#######.]"},
		{"ascii NaN is empty", math.NaN(), 10, theme.ASCII, "[........]"},
		{"ascii negative is empty", -2, 10, theme.ASCII, "[........]"},
		{"ascii too narrow", 0.5, 2, theme.ASCII, ""},
		{"utf8 empty", 0, 4, theme.UTF8, "░░░░"},
		{"utf8 eighths", 0.5 + 2.0/32, 4, theme.UTF8, "██▎░"}, // 18 of 32 eighths,
		{"utf8 full", 1, 4, theme.UTF8, "████"},
		{"utf8 tiny shows", 0.0001, 4, theme.UTF8, "▏░░░"},
		{"utf8 almost full", 0.9999, 4, theme.UTF8, "███▉"},
		{"utf8 zero width", 0.5, 0, theme.UTF8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Bar(tt.frac, tt.width, tt.g)
			if got != tt.want {
				t.Fatalf("Bar(%v, %d) = %q, want %q", tt.frac, tt.width, got, tt.want)
			}
			if got != "" && cell.Width(got) != tt.width {
				t.Fatalf("Bar is %d cells, want %d", cell.Width(got), tt.width)
			}
		})
	}
}

// paneFor draws the pane of one host with report r, without colour.
func paneFor(t *testing.T, r probes.HostReport, ascii bool, w, h int) string {
	t.Helper()
	now := func() time.Time { return r.Time }
	th := theme.New(true, ascii)
	tb := fleet.New([]hosts.Host{{Name: r.Host}}, th, keys.Default(), now)
	tb.Apply(r)
	host, _ := tb.Lookup(r.Host)
	p := New(th, keys.Default(), eventlog.NewLog(8), now)
	p.SetSize(w, h)
	p.Show(host)
	return ansi.Strip(p.View())
}

func resourcesReport(res *probes.Resources, withCheck bool, running int) probes.HostReport {
	r := probes.HostReport{Host: "kvm-01", Status: probes.OK, Time: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC),
		Checks: []probes.Result{{Check: hosts.CheckSSH, Status: probes.OK, Summary: "connected"}}, Resources: res}
	if withCheck {
		r.Checks = append(r.Checks, probes.Result{Check: hosts.CheckResources, Status: probes.OK, Summary: "fine"})
	}
	for i := range running {
		r.VMs = append(r.VMs, probes.VM{Name: "vm" + string(rune('a'+i)), State: "running"})
	}
	return r
}

func TestResourceGauges(t *testing.T) {
	base := func() *probes.Resources {
		return &probes.Resources{MemTotal: 32 * gib, MemFree: 12 * gib, MemCommitted: 20 * gib, CPUs: 8,
			Model: "AMD EPYC 7313", Load1: 0.42, Disks: []remote.DiskUse{
				{Path: "/var/lib/libvirt/images", Mount: "/var", Total: 500 * gib, UsedPct: 41},
				{Path: "/srv/vm", Mount: "/srv", Total: 2048 * gib, UsedPct: 88}}}
	}
	with := func(edit func(*probes.Resources)) *probes.Resources { r := base(); edit(r); return r }
	tests := []struct {
		name    string
		res     *probes.Resources
		check   bool
		running int
		want    []string
		absent  []string
	}{
		{"all figures", base(), true, 2, []string{
			"Resources · AMD EPYC 7313",
			"  mem  ", "20.0 GiB / 32.0 GiB, 63%",
			"  VMs  ", "20.0 GiB committed, 63%",
			"  load ", "0.42 on 8 CPUs",
			"  disk ", "/var/lib/libvirt/images 41% of 500.0 GiB", "/srv/vm 88% of 2.0 TiB",
		}, []string{"overcommitted", "unknown", "per CPU"}},
		{"overcommitted", with(func(r *probes.Resources) { r.MemCommitted = 48 * gib }), true, 2,
			[]string{"48.0 GiB committed, 150% (overcommitted)"}, nil},
		{"garbage committed figure", with(func(r *probes.Resources) { r.MemTotal, r.MemFree, r.MemCommitted = 1, 0, math.MaxUint64 }), true, 2,
			[]string{"committed, 9999% (overcommitted)"}, nil},
		{"committed not read", with(func(r *probes.Resources) { r.MemCommitted = 0 }), true, 2,
			[]string{"VMs  committed unknown"}, []string{"0 B committed"}},
		{"nothing running", with(func(r *probes.Resources) { r.MemCommitted = 0 }), true, 0,
			[]string{"0 B committed, 0%"}, []string{"committed unknown"}},
		{"memory not read", with(func(r *probes.Resources) { r.MemTotal, r.MemFree = 0, 0 }), true, 2,
			[]string{"mem  unknown", "committed unknown (host memory not read)"}, []string{"GiB / "}},
		{"load not read", with(func(r *probes.Resources) { r.Load1 = -1 }), true, 2, []string{"load unknown"}, []string{"0.42"}},
		{"CPUs not read", with(func(r *probes.Resources) { r.CPUs = 0 }), true, 2, []string{"0.42, CPUs unknown"}, nil},
		{"busy host", with(func(r *probes.Resources) { r.Load1 = 19.2 }), true, 2, []string{"19.20 on 8 CPUs, 2.4 per CPU"}, nil},
		{"one CPU", with(func(r *probes.Resources) { r.CPUs = 1 }), true, 2, []string{"0.42 on 1 CPU"}, []string{"1 CPUs"}},
		{"no disks", with(func(r *probes.Resources) { r.Disks = nil }), true, 2, []string{"  load "}, []string{"  disk "}},
		{"remote text cleaned", with(func(r *probes.Resources) {
			r.Model = "Xeon\x1b[2J\u202e"
			r.Disks[0].Path = "/img\x07s"
		}), true, 2, []string{"Resources · Xeon[2J", "/imgs 41%"}, []string{"\x1b", "\a", "\u202e"}},
		{"check read nothing", nil, true, 2, []string{"Resources", "no figures this round: see the resources check"}, []string{"  mem "}},
		{"no resources check", nil, false, 2, nil, []string{"Resources", "  mem "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view := paneFor(t, resourcesReport(tt.res, tt.check, tt.running), false, 80, 40)
			for _, w := range tt.want {
				if !strings.Contains(view, w) {
					t.Errorf("pane lacks %q:\n%s", w, view)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(view, a) {
					t.Errorf("pane shows %q:\n%s", a, view)
				}
			}
		})
	}
}

// TestGaugeWidthAdapts draws the memory gauge in panes of several widths:
// the bar grows with the pane within its bounds, and the ASCII bar is
// bracketed.
func TestGaugeWidthAdapts(t *testing.T) {
	res := &probes.Resources{MemTotal: 32 * gib, MemFree: 16 * gib, CPUs: 4, Load1: 1}
	prev := 0
	for _, w := range []int{40, 60, 71, 80, 120, 200} {
		for _, ascii := range []bool{false, true} {
			view := paneFor(t, resourcesReport(res, true, 0), ascii, w, 30)
			var line string
			for _, l := range strings.Split(view, "\n") {
				if strings.HasPrefix(l, "  mem  ") {
					line = l
				}
			}
			bar, _, ok := strings.Cut(strings.TrimPrefix(line, "  mem  "), " ")
			if !ok {
				t.Fatalf("width %d: no memory gauge in %q", w, line)
			}
			bw := cell.Width(bar)
			if bw < minGaugeW || bw > maxGaugeW || bw < prev {
				t.Fatalf("width %d: bar %q is %d cells (previous %d)", w, bar, bw, prev)
			}
			if ascii != strings.HasPrefix(bar, "[") {
				t.Fatalf("width %d ascii=%v: bar %q", w, ascii, bar)
			}
			if ascii {
				prev = bw
			}
		}
	}
	if prev != maxGaugeW {
		t.Fatalf("a 200-cell pane draws a %d-cell bar, want the maximum %d", prev, maxGaugeW)
	}
}

// FuzzBar: any fraction and width draws a bar of exactly that width (or
// nothing when too narrow), never panicking.
func FuzzBar(f *testing.F) {
	for _, s := range []struct {
		frac  float64
		width int
	}{{0, 10}, {0.5, 10}, {1, 3}, {math.NaN(), 8}, {math.Inf(1), 8}, {-1, 1}, {1e-300, 64}} {
		f.Add(s.frac, s.width)
	}
	f.Fuzz(func(t *testing.T, frac float64, width int) {
		width %= 200
		for _, g := range []theme.Glyphs{theme.UTF8, theme.ASCII} {
			bar := Bar(frac, width, g)
			if bar != "" && cell.Width(bar) != width {
				t.Fatalf("Bar(%v, %d) = %q, %d cells", frac, width, bar, cell.Width(bar))
			}
			if bar == "" && width > 2 {
				t.Fatalf("Bar(%v, %d) drew nothing", frac, width)
			}
		}
	})
}
