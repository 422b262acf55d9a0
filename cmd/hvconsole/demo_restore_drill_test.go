package main

import (
	"os"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// Restore drills through the console's wiring against the simulated
// fleet, whose generated inventory allows L2 (drill = "boot"): L1 and L2
// of the nightly spec pass and leave neither a drill domain nor a scratch
// file behind; recorded in the state directory's drills.json.
func TestDemoRestoreDrills(t *testing.T) {
	fl, cfg, _, runner := startDemo(t, simfleet.Options{Hosts: 1, Quiet: true})
	h := cfg.Hosts[0]
	for _, level := range []int{remote.DrillL1, remote.DrillL2} {
		res := runner.Drill(t.Context(), actions.DrillRequest{Host: h, Backup: "nightly", Level: level})
		if res.Outcome != probes.DrillPassed || !strings.Contains(res.Summary(), "passed: restored") {
			t.Errorf("L%d: %s", level, res.Summary())
		}
		if level == remote.DrillL2 && !strings.Contains(res.Summary(), "booted: guest agent answered after") {
			t.Errorf("L2 summary %q", res.Summary())
		}
	}
	recs, err := os.ReadFile(drillFile(cfg))
	if err != nil || !strings.Contains(string(recs), `"level": 2`) || !strings.Contains(string(recs), `"outcome": "passed"`) {
		t.Errorf("drills.json: %v\n%s", err, recs)
	}
	sim := fl.Host(h.Name)
	if d, f := sim.DrillDomains(), sim.DrillFiles(); len(d)+len(f) != 0 {
		t.Errorf("left on the host: domains %v, files %v", d, f)
	}
}
