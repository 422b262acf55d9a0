package fleet

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// attachedTable is a console attached to two collectors, as attach.Fleet
// reports them: each host's name prefixed with its site, the site in
// HostReport.Site. kvm-01 runs at both sites and must stay two rows.
func attachedTable() Table {
	tb := New(nil, theme.New(true, false), keys.Default(), func() time.Time { return t0 })
	for _, r := range []struct {
		site, host string
		st         probes.Status
	}{
		{"dc1", "kvm-01", probes.OK}, {"dc1", "kvm-02", probes.CRIT},
		{"dc2", "kvm-01", probes.WARN}, {"dc2", "kvm-03", probes.OK},
		{"unix:/run/hvconsole/serve.sock", "kvm-09", probes.UNKNOWN},
	} {
		rp := rep(r.site+"/"+r.host, r.st, 2*time.Millisecond, t0.Add(-time.Minute))
		rp.Site = r.site
		tb.Apply(rp)
	}
	tb.Settle()
	return tb
}

// TestSiteColumnGolden draws the SITE column at the widths that matter:
// wide, the 80-column terminal, narrow (it shrinks to fit) and too narrow
// (it goes; the name keeps its "site/" prefix then so rows stay apart).
// Regenerate with -update and review the diff.
func TestSiteColumnGolden(t *testing.T) {
	for _, w := range []int{120, 80, 60, 50} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			tb := attachedTable()
			tb.SetSize(w, 8)
			golden.RequireEqual(t, []byte(ansi.Strip(tb.View())))
		})
	}
}

func TestSiteColumnOnlyForAttachedHosts(t *testing.T) {
	local := newTable(3)
	local.SetSize(120, 6)
	if strings.Contains(local.View(), "SITE") || local.HasSites() {
		t.Error("a console probing its own hosts shows a SITE column")
	}
	tb := attachedTable()
	tb.SetSize(80, 8)
	if !strings.Contains(tb.View(), "SITE") {
		t.Errorf("attached console at 80 columns has no SITE column:\n%s", tb.View())
	}
	if tb.Total() != 5 {
		t.Errorf("%d rows, want 5: the same host name at two sites collided", tb.Total())
	}
	h, ok := tb.Lookup("dc2/kvm-01")
	if !ok || h.Site != "dc2" || h.siteNameTags != "kvm-01" || h.nameTags != "dc2/kvm-01" {
		t.Errorf("dc2/kvm-01 = %+v", h)
	}
}

func TestSiteFilterAndSort(t *testing.T) {
	tb := attachedTable()
	for _, tt := range []struct {
		filter string
		want   int
	}{
		{"site:dc1", 2}, {"site:DC2", 2}, {"site:dc", 0}, {"dc2", 2}, {"serve.sock", 1},
		{"site:dc1 status:crit", 1}, {"site:dc2 kvm-03", 1},
	} {
		tb.SetFilter(tt.filter)
		if tb.Shown() != tt.want {
			t.Errorf("filter %q shows %d, want %d", tt.filter, tb.Shown(), tt.want)
		}
	}
	tb.SetFilter("")
	tb.SetSort(SortSite)
	want := []string{"dc1/kvm-02", "dc1/kvm-01", "dc2/kvm-01", "dc2/kvm-03", "unix:/run/hvconsole/serve.sock/kvm-09"}
	if got := names(tb); !slices.Equal(got, want) {
		t.Errorf("site order %v, want %v (site A-Z, worst first within)", got, want)
	}
	// a report moving a host within its site repositions it incrementally
	r := rep("dc2/kvm-03", probes.CRIT, time.Millisecond, t0)
	r.Site = "dc2"
	tb.Apply(r)
	tb.Settle()
	if got := names(tb); got[2] != "dc2/kvm-03" {
		t.Errorf("after dc2/kvm-03 turned CRIT: %v", got)
	}
}

func TestNextSortSkipsSiteWithoutSites(t *testing.T) {
	local := newTable(2)
	local.SetSort(SortChange)
	if got := local.NextSort(); got != SortWorst {
		t.Errorf("local console: after last change comes %v, want worst", got)
	}
	tb := attachedTable()
	tb.SetSort(SortChange)
	if got := tb.NextSort(); got != SortSite {
		t.Errorf("attached console: after last change comes %v, want site", got)
	}
	tb.SetSort(SortSite)
	if got := tb.NextSort(); got != SortWorst {
		t.Errorf("after site comes %v, want worst", got)
	}
}
