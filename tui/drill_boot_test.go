package tui

import (
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// A spec with drill = "boot" offers L2 after its L1 line; picking it
// confirms the boot and asks the action layer for level 2.
func TestDrillFlowOffersL2(t *testing.T) {
	inv := actionInventory(3)
	inv[0].Backups = []hosts.Backup{{Name: "nightly", Path: "/srv/b/*.qcow2", Drill: hosts.DrillBoot}, {Name: "weekly", Path: "/srv/w/*.qcow2"}}
	act := &drillActions{fakeActions: newFakeActions()}
	m := mixedFleet(t, newActionModel(t, inv, nil, func(o *Options) { o.Actions = act }, 160, 48), inv)
	m = pressAll(t, m, "o", "D")
	view := plain(m)
	if !strings.Contains(view, "nightly · L2 boot") || !strings.Contains(view, "L2: also boot)") {
		t.Fatalf("picker:\n%s", view)
	}
	if len(m.flow.drillChoices) != 3 || m.flow.drillChoices[2].level != remote.DrillL1 {
		t.Fatalf("choices %+v: weekly (drill = \"restore\") must offer L1 only", m.flow.drillChoices)
	}
	m = pressAll(t, m, "j", "enter")
	if view := plain(m); m.overlay != overlayConfirm || !strings.Contains(view, "L2: copy the newest file into /var/tmp/hvconsole-drill-ID and") ||
		!strings.Contains(view, "hvconsole-drill-nightly-") {
		t.Fatalf("confirmation:\n%s", view)
	}
	next, cmd := stepCmd(t, pressAll(t, m, "right"), keytest.Press("enter"))
	runCmds(t, next, cmd)
	if len(act.reqs) != 1 || act.reqs[0].Backup != "nightly" || act.reqs[0].Level != remote.DrillL2 {
		t.Fatalf("drill requests %+v", act.reqs)
	}
}

// A Hyper-V host never offers L2 (it has no libvirt to boot with).
func TestDrillChoicesHyperV(t *testing.T) {
	h := hosts.Host{Hypervisor: hosts.KindHyperV, Backups: []hosts.Backup{{Name: "vhdx", Drill: hosts.DrillBoot}}}
	if c := drillChoices(h); len(c) != 1 || c[0].level != remote.DrillL1 {
		t.Errorf("choices %+v", c)
	}
}
