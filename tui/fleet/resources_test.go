package fleet

import (
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

const gib = uint64(1) << 30

// figures is a Resources with memPct of 100 GiB used and one disk per pct.
func figures(memPct uint64, diskPcts ...float64) *probes.Resources {
	r := &probes.Resources{MemTotal: 100 * gib, MemFree: (100 - memPct) * gib, CPUs: 8, Load1: 0.5}
	for _, p := range diskPcts {
		r.Disks = append(r.Disks, remote.DiskUse{Path: "/var/lib/libvirt/images", Total: 500 * gib, UsedPct: p})
	}
	return r
}

// resRep is rep with figures and, unless st < 0, a resources check.
func resRep(name string, res *probes.Resources, st probes.Status) probes.HostReport {
	r := rep(name, probes.OK, time.Millisecond, t0)
	r.Resources = res
	if st >= 0 {
		r.Checks = append(r.Checks, probes.Result{Check: hosts.CheckResources, Status: st, Summary: "s"})
		r.Status = r.Status.Worse(st)
	}
	return r
}

func TestMemDiskCell(t *testing.T) {
	noCheck := probes.Status(-1)
	tests := []struct {
		name string
		res  *probes.Resources
		st   probes.Status
		want string
	}{
		{"no figures, no check", nil, noCheck, "-"},
		{"check read nothing", nil, probes.UNKNOWN, "-"},
		{"both", figures(62, 41), probes.OK, "62%/41%"},
		{"worst disk of several", figures(62, 41, 77, 12), probes.OK, "62%/77%"},
		{"memory only", figures(62), probes.OK, "62%/-"},
		{"disk only", &probes.Resources{Disks: figures(0, 41).Disks}, probes.OK, "-/41%"},
		{"warn marked", figures(93, 41), probes.WARN, "93%/41%!"},
		{"crit marked", figures(62, 97), probes.CRIT, "62%/97%!"},
		{"unknown marked", figures(62, 41), probes.UNKNOWN, "62%/41%?"},
		{"no check, no mark", figures(62, 41), noCheck, "62%/41%"},
		{"rounded up like df", &probes.Resources{MemTotal: 1000, MemFree: 999, Disks: figures(0, 85.2).Disks}, probes.OK, "1%/86%"},
		{"free above total", &probes.Resources{MemTotal: 10, MemFree: 20}, probes.OK, "0%/-"},
		{"garbage disk figure", figures(50, math.NaN(), -3), probes.OK, "50%/0%"},
		{"full everywhere fits", figures(100, 100, 250), probes.CRIT, "100%/100%!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable(2)
			tb.Apply(resRep("h001", tt.res, tt.st))
			h, _ := tb.Lookup("h001")
			if got := h.MemDisk(); got != tt.want {
				t.Fatalf("MemDisk = %q, want %q", got, tt.want)
			}
			if w := cell.Width(h.memDisk); w != memDiskW {
				t.Fatalf("cached cell %q is %d wide, want %d", h.memDisk, w, memDiskW)
			}
			if w := cell.Width(h.memDiskStyled); w != memDiskW {
				t.Fatalf("styled cell %q is %d wide, want %d", h.memDiskStyled, w, memDiskW)
			}
		})
	}
}

// TestMemDiskColumnWidths draws the header at every width: the column
// appears from memDiskFrom, the line never overflows, and the name and
// status columns are the same as without the column.
func TestMemDiskColumnWidths(t *testing.T) {
	for w := 60; w <= 200; w++ {
		tb := newTable(3)
		tb.SetSize(w, 6)
		head := tb.header()
		if got := cell.Width(head); got != w {
			t.Fatalf("width %d: header is %d wide", w, got)
		}
		shown := strings.Contains(head, "MEM/DISK")
		if shown != (w >= memDiskFrom) {
			t.Fatalf("width %d: MEM/DISK shown = %v", w, shown)
		}
		without := tb.cols
		without.check += without.memDisk + 1
		if shown && (without.name != tb.cols.name || tb.cols.check < 12) {
			t.Fatalf("width %d: columns %+v: the name column shrank or the check column vanished", w, tb.cols)
		}
	}
}

// TestMemDiskDrawn checks the figures sit under the header, coloured by the
// resources check's status only when it is not OK, and plain on the
// selected row (whose reverse video a colour reset would break).
func TestMemDiskDrawn(t *testing.T) {
	th := theme.New(false, true) // colour, ASCII glyphs: bytes are cells
	inv := []hosts.Host{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	tb := New(inv, th, keys.Default(), func() time.Time { return t0 })
	tb.SetSize(120, 8)
	tb.SetSort(SortName)
	tb.Apply(resRep("a", figures(93, 88), probes.WARN))
	tb.Apply(resRep("b", figures(93, 88), probes.WARN))
	tb.Apply(resRep("c", figures(42, 40), probes.OK))
	tb.Settle()
	view := tb.View()
	if !strings.Contains(view, th.Warn.Render("93%/88%!")) {
		t.Fatal("WARN figures of an unselected row not in the WARN style")
	}
	if strings.Count(view, th.Warn.Render("93%/88%!")) != 1 {
		t.Fatal("the selected row's figures are styled inside the selection")
	}
	if strings.Contains(view, th.OK.Render("42%/40%")) {
		t.Fatal("OK figures coloured: only figures past a threshold should draw the eye")
	}
	lines := strings.Split(ansi.Strip(view), "\n")
	col := strings.Index(lines[1], "MEM/DISK") + len("MEM/DISK")
	for i, want := range []string{"93%/88%!", "93%/88%!", "42%/40%"} {
		l := lines[2+i]
		if got := l[col-len(want) : col]; got != want {
			t.Fatalf("row %d: %q under MEM/DISK, want %q right-aligned:\n%s\n%s", i, got, want, lines[1], l)
		}
	}
}

// TestMemDiskCachedAcrossRounds: unchanged figures keep the cached cell
// (no string built per report, none per frame); a change rebuilds it.
func TestMemDiskCachedAcrossRounds(t *testing.T) {
	tb := newTable(1)
	tb.Apply(resRep("h000", figures(62, 41), probes.WARN))
	h, _ := tb.Lookup("h000")
	before := unsafe.StringData(h.memDiskStyled)
	tb.Apply(resRep("h000", figures(62, 41), probes.WARN))
	if unsafe.StringData(h.memDiskStyled) != before {
		t.Fatal("unchanged figures rebuilt the cell")
	}
	tb.Apply(resRep("h000", figures(63, 41), probes.WARN))
	if h.MemDisk() != "63%/41%!" {
		t.Fatalf("changed figures not shown: %q", h.MemDisk())
	}
	tb.Apply(resRep("h000", figures(63, 41), probes.OK))
	if h.MemDisk() != "63%/41%" {
		t.Fatalf("status change not shown: %q", h.MemDisk())
	}
}

// TestViewAllocsIndependentOfResources: the column costs a frame no
// allocation, whatever the figures.
func TestViewAllocsIndependentOfResources(t *testing.T) {
	frame := func(res *probes.Resources, st probes.Status) float64 {
		inv := make([]hosts.Host, 200)
		for i := range inv {
			inv[i] = hosts.Host{Name: "h" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))}
		}
		tb := New(inv, theme.New(false, false), keys.Default(), func() time.Time { return t0 })
		tb.SetSize(120, 40)
		for _, h := range inv {
			tb.Apply(resRep(h.Name, res, st))
		}
		tb.Settle()
		return testing.AllocsPerRun(20, func() { _ = tb.View() })
	}
	without := frame(nil, probes.CRIT)
	with := frame(figures(93, 97), probes.CRIT)
	if with > without {
		t.Fatalf("a frame allocates %.0f times with figures, %.0f without", with, without)
	}
}

// The cause column grows with the terminal: never narrower than at 80
// columns, wider at 120 than at 80 and at 200 than at 120 (it was narrower
// at 200 once, with the table held at 55% of a split).
func TestCheckColumnGrowsWithWidth(t *testing.T) {
	at := func(w int) int { return newLayout(w, 0).check }
	for w := 80; w <= 300; w++ {
		if at(w) < at(80) {
			t.Errorf("width %d: cause column %d, narrower than at 80 columns (%d)", w, at(w), at(80))
		}
	}
	if !(at(80) < at(120) && at(120) < at(200)) {
		t.Errorf("cause column at 80, 120, 200 columns: %d, %d, %d; want it to grow", at(80), at(120), at(200))
	}
}
