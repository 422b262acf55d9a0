package warroom

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

var now = time.Date(2026, 11, 27, 4, 40, 12, 0, time.UTC)

// fleetOf builds n hosts of which the first crit are CRIT.
func fleetOf(n, crit int) fleet.Table {
	inv := make([]hosts.Host, n)
	for i := range inv {
		inv[i] = hosts.Host{Name: fmt.Sprintf("h%03d", i)}
	}
	th := theme.New(true, false)
	tb := fleet.New(inv, th, keys.Default(), func() time.Time { return now })
	for i, h := range inv {
		st := probes.OK
		if i < crit {
			st = probes.CRIT
		}
		tb.Apply(probes.HostReport{Host: h.Name, Status: st, Time: now.Add(-time.Minute), Checks: []probes.Result{
			{Check: "hypervisor", Status: st, Summary: "hypervisor not running: libvirtd failed"}}})
	}
	tb.Settle()
	return tb
}

func TestWallProblemsFirst(t *testing.T) {
	tb := fleetOf(500, 4)
	g := New(theme.New(true, false), keys.Default())
	g.SetSize(120, 40)
	wall := ansi.Strip(g.View(&tb, now, now.Add(-2*time.Second)))
	for _, want := range []string{"4 need attention", "496 OK", "04:40:12", "updated 04:40:10 (2s ago)",
		"h000", "h003", "libvirtd failed", "seen for 1m", "more"} {
		if !strings.Contains(wall, want) {
			t.Errorf("wall lacks %q:\n%s", want, wall)
		}
	}
	if g.Pages(&tb) != 1 || strings.Contains(wall, "page 1/") {
		t.Error("4 problems fit one page")
	}
}

func TestWallPagesProblems(t *testing.T) {
	tb := fleetOf(100, 60)
	g := New(theme.New(true, false), keys.Default())
	g.SetSize(80, 24)
	first := ansi.Strip(g.View(&tb, now, now))
	pages := g.Pages(&tb)
	if pages < 2 || !strings.Contains(first, "problems page 1/") || !strings.Contains(first, "h000") {
		t.Fatalf("%d pages:\n%s", pages, first)
	}
	g, _ = g.Update(tea.KeyPressMsg{Code: tea.KeyPgDown})
	if second := ansi.Strip(g.View(&tb, now, now)); strings.Contains(second, "h000") || !strings.Contains(second, "page 2/") {
		t.Fatal("pgdown should show the next page")
	}
	for range pages - 1 {
		g.NextPage(&tb)
	}
	if again := ansi.Strip(g.View(&tb, now, now)); !strings.Contains(again, "page 1/") {
		t.Fatal("the pager does not wrap to the first page")
	}
	for _, sz := range [][2]int{{0, 0}, {5, 3}, {17, 4}, {250, 70}} {
		g.SetSize(sz[0], sz[1])
		for i, l := range strings.Split(ansi.Strip(g.View(&tb, now, now)), "\n") {
			if ansi.StringWidth(l) > sz[0] {
				t.Fatalf("%v: line %d too wide", sz, i)
			}
		}
	}
}
