package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// siteReport is a host report as attach.Fleet delivers it from a
// collector when several are merged: the name prefixed with the site, the
// site in HostReport.Site.
func siteReport(site, name string, st probes.Status, summary string, at time.Time) probes.HostReport {
	h := hosts.Host{Name: site + "/" + name, Address: "", Tags: []string{"prod"}, Hypervisor: hosts.KindLibvirt}
	r := report(h, st, summary, at)
	r.Site = site
	return r
}

// unreachableReport is what attach.Fleet delivers for a host of a
// collector that stopped answering (attach.CheckCollector,
// attach.UnreachableSummary; tui does not import attach).
func unreachableReport(site, name string, at time.Time) probes.HostReport {
	host := site + "/" + name
	return probes.HostReport{Host: host, Site: site, Status: probes.UNKNOWN, Time: at, Checks: []probes.Result{{
		Host: host, Check: "collector", Status: probes.UNKNOWN, Summary: "collector unreachable",
		Details: "the collector at unix:/run/dc1.sock does not answer; reconnecting", Time: at}}}
}

func attachedOpts(o *Options) { o.ReadOnly, o.Badge = true, "ATTACHED dc1,dc2" }

// twoSites is two collectors' fleets: kvm-01 runs at both sites.
func twoSites(tb testing.TB, m Model) Model {
	at := t0.Add(-2 * time.Minute)
	return step(tb, m, reportsMsg{reports: []probes.HostReport{
		siteReport("dc1", "kvm-01", probes.OK, "", at),
		siteReport("dc1", "kvm-02", probes.CRIT, "hypervisor not running", at),
		siteReport("dc2", "kvm-01", probes.OK, "", at),
		siteReport("dc2", "kvm-03", probes.WARN, "autostart VM batch not running", at),
	}})
}

// dc1Lost is dc1's collector going away: its hosts turn UNKNOWN.
func dc1Lost(tb testing.TB, m Model) Model {
	at := t0.Add(-time.Minute)
	return step(tb, twoSites(tb, m), reportsMsg{reports: []probes.HostReport{
		unreachableReport("dc1", "kvm-01", at), unreachableReport("dc1", "kvm-02", at),
	}})
}

// dc1Back is dc1's collector answering again after the reconnect.
func dc1Back(tb testing.TB, m Model) Model {
	at := t0.Add(-10 * time.Second)
	return step(tb, dc1Lost(tb, m), reportsMsg{reports: []probes.HostReport{
		siteReport("dc1", "kvm-01", probes.OK, "", at),
		siteReport("dc1", "kvm-02", probes.CRIT, "hypervisor not running", at),
	}})
}

// TestGoldenAttached: a console attached to two collectors shows the SITE
// column (at 80 columns too), keeps kvm-01 of each site apart, and when
// dc1's collector goes away shows its hosts UNKNOWN "collector
// unreachable" with the event log saying so, then their recovery.
// Regenerate with -update and review the diff.
func TestGoldenAttached(t *testing.T) {
	tests := []struct {
		name  string
		setup func(testing.TB, Model) Model
	}{{"two_sites", twoSites}, {"collector_lost", dc1Lost}, {"collector_back", dc1Back}}
	for _, w := range []int{80, 160} { // 80x24 and 160x48, as the other golden views
		h := w * 3 / 10
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s_%dx%d", tt.name, w, h), func(t *testing.T) {
				golden.RequireEqual(t, []byte(plain(tt.setup(t, newTestModel(t, nil, attachedOpts, w, h)))))
			})
		}
	}
}

// TestAttachedEventLogSaysCollectorUnreachable: the loss of a collector and
// the reconnect are events of each of its hosts, in the log and on screen.
func TestAttachedEventLogSaysCollectorUnreachable(t *testing.T) {
	m := dc1Lost(t, newTestModel(t, nil, attachedOpts, 160, 48))
	lost := map[string]bool{}
	for i := range m.log.Len() {
		e := m.log.At(i)
		if e.To == probes.UNKNOWN && strings.Contains(e.Summary, "collector unreachable") {
			lost[e.Host] = true
		}
	}
	if !lost["dc1/kvm-01"] || !lost["dc1/kvm-02"] || len(lost) != 2 {
		t.Errorf("collector-unreachable events for %v, want dc1/kvm-01 and dc1/kvm-02 only", lost)
	}
	if !screenHasEvent(plain(m), "dc1/kvm-01", "UNKNOWN", "collector: collector") {
		t.Errorf("the event log on screen does not say dc1/kvm-01 lost its collector:\n%s", plain(m))
	}
	m = dc1Back(t, newTestModel(t, nil, attachedOpts, 160, 48))
	if !screenHasEvent(plain(m), "dc1/kvm-01", "OK", "recovered from") {
		t.Errorf("the event log on screen does not show dc1/kvm-01 back after the reconnect:\n%s", plain(m))
	}
}

// screenHasEvent finds an event-log line "host ... → to ... summary".
func screenHasEvent(screen, host, to, summary string) bool {
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, host) && strings.Contains(line, "→ "+to) && strings.Contains(line, summary) {
			return true
		}
	}
	return false
}
