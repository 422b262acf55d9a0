package details

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/fleet"
)

// A problem's remedy and runbook page follow its summary; an OK check has
// neither.
func TestTextRemedyAndRunbook(t *testing.T) {
	now := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	h := fleet.NewHost(hosts.Host{Name: "kvm-01", Address: "10.0.0.1"})
	bad := probes.Result{Check: hosts.CheckHypervisor, Status: probes.CRIT,
		Summary: probes.SummaryNotRunning + ": libvirtd inactive", Time: now}
	ok := probes.Result{Check: hosts.CheckSSH, Status: probes.OK, Summary: "connected", Time: now}
	h.Report = probes.HostReport{Host: "kvm-01", Status: probes.CRIT, Time: now, Checks: []probes.Result{ok, bad}}
	h.Reported = true
	runbook := func(host, check, cause string) string { return "https://wiki/" + check + "/" + cause + "?h=" + host }

	got := Text(h, now, runbook)
	i := slices.Index(got, "  summary: "+bad.Summary)
	if i < 0 || i+2 >= len(got) {
		t.Fatalf("no hypervisor summary in %q", got)
	}
	if want := "  remedy: " + probes.Remedy(bad); got[i+1] != want {
		t.Errorf("line after the summary %q, want %q", got[i+1], want)
	}
	if want := "  runbook: https://wiki/hypervisor/libvirtd-inactive?h=kvm-01"; got[i+2] != want {
		t.Errorf("runbook line %q, want %q", got[i+2], want)
	}
	if n := len(slices.DeleteFunc(slices.Clone(got), func(l string) bool { return !strings.HasPrefix(l, "  remedy: ") })); n != 1 {
		t.Errorf("%d remedy lines, want 1 (the OK check has none)", n)
	}
	if without := Text(h, now, nil); slices.ContainsFunc(without, func(l string) bool { return strings.HasPrefix(l, "  runbook: ") }) {
		t.Errorf("runbook line without a template: %q", without)
	}
}
