package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// drillActions is the fake action layer with restore drills: Drill
// reports two progress steps, then waits for its context when block is
// set (a drill the operator cancels) and returns the outcome.
type drillActions struct {
	*fakeActions
	block bool
	reqs  []actions.DrillRequest
}

func (d *drillActions) Drill(ctx context.Context, req actions.DrillRequest) probes.DrillResult {
	d.reqs = append(d.reqs, req)
	req.Progress(actions.DrillProgress{Host: req.Host.Name, Spec: req.Backup, Phase: actions.PhaseCopy, Bytes: 1 << 20, Total: 4 << 20})
	res := probes.DrillResult{Host: req.Host.Name, Spec: req.Backup, Level: req.Level, Outcome: probes.DrillPassed, Size: 4 << 20}
	if d.block {
		<-ctx.Done()
		res.Outcome, res.Reason = probes.DrillCancelled, "cancelled by the operator"
	}
	return res
}

func drillModel(t *testing.T, block bool) (Model, *drillActions) {
	inv := actionInventory(3)
	inv[0].Backups = []hosts.Backup{{Name: "nightly", Path: "/srv/b/*.qcow2"}, {Name: "weekly", Path: "/srv/w/*.qcow2"}}
	act := &drillActions{fakeActions: newFakeActions(), block: block}
	m := mixedFleet(t, newActionModel(t, inv, nil, func(o *Options) { o.Actions = act }, 160, 48), inv)
	return pressAll(t, m, "o"), act // name order: kvm-01 first
}

func TestDrillFlow(t *testing.T) {
	t.Run("pick, confirm, progress, result in the event log", func(t *testing.T) {
		m, act := drillModel(t, false)
		m = pressAll(t, m, "D")
		if m.overlay != overlayDrillPick || !strings.Contains(plain(m), "weekly") {
			t.Fatalf("no spec picker (note %q, current %v):\n%s", m.note, m.current(), plain(m))
		}
		m = pressAll(t, m, "enter")
		if m.overlay != overlayConfirm || !strings.Contains(plain(m), "/var/tmp/hvconsole-drill-ID") {
			t.Fatalf("no confirmation:\n%s", plain(m))
		}
		if v := plain(m); !strings.Contains(v, "Restore drill (L1) of nightly on kvm-01") || strings.Contains(v, "Service") {
			t.Fatalf("the confirmation does not name the drill and its backup:\n%s", v)
		}
		next, cmd := stepCmd(t, pressAll(t, m, "right"), keytest.Press("enter"))
		if !next.table.Busy("kvm-01") {
			t.Fatal("row not busy while the drill runs")
		}
		m = runCmds(t, next, cmd)
		if len(act.reqs) != 1 || act.reqs[0].Backup != "nightly" || act.reqs[0].Level != remote.DrillL1 {
			t.Fatalf("drill requests %+v", act.reqs)
		}
		if e := m.log.At(0); e.Action != actions.ActionDrill || e.Failed || !strings.Contains(e.Summary, "L1 drill of nightly passed") {
			t.Fatalf("event %+v", e)
		}
		if m.table.Busy("kvm-01") || len(m.drills) != 0 {
			t.Fatal("busy state outlived the drill")
		}
	})
	t.Run("progress shows in the footer", func(t *testing.T) {
		m, _ := drillModel(t, false)
		m = step(t, m, drillProgressMsg{p: actions.DrillProgress{Host: "kvm-01", Spec: "nightly", Phase: actions.PhaseCopy,
			Bytes: 2 << 20, Total: 8 << 20}, ch: make(chan actions.DrillProgress)})
		if !strings.Contains(plain(m), "drill of nightly on kvm-01: copy 25% (2 of 8 MiB)") {
			t.Fatalf("footer:\n%s", plain(m))
		}
	})
	t.Run("D again cancels the running drill", func(t *testing.T) {
		m, _ := drillModel(t, true)
		next, cmd := stepCmd(t, pressAll(t, m, "D", "enter", "right"), keytest.Press("enter"))
		next = pressAll(t, next, "D")
		if !strings.Contains(plain(next), "cancelling the restore drill on kvm-01") {
			t.Fatalf("no cancel note:\n%s", plain(next))
		}
		m = runCmds(t, next, cmd)
		if e := m.log.At(0); !e.Cancelled || !strings.Contains(e.Summary, "cancelled") {
			t.Fatalf("event %+v", e)
		}
	})
	t.Run("cancel in the dialog is audited", func(t *testing.T) {
		m, act := drillModel(t, false)
		m = pressAll(t, m, "D", "enter", "enter")
		if _, refused, _ := act.snapshot(); len(refused) != 1 || refused[0].action != actions.ActionDrill || len(act.reqs) != 0 {
			t.Fatalf("refused %+v, drills %+v", refused, act.reqs)
		}
	})
	t.Run("a host without specs says so", func(t *testing.T) {
		m, _ := drillModel(t, false)
		m = pressAll(t, m, "j", "D")
		if !strings.Contains(plain(m), "drill unavailable: no backup specs on kvm-02") {
			t.Fatalf("footer:\n%s", plain(m))
		}
	})
	t.Run("read-only refuses D", func(t *testing.T) {
		inv := actionInventory(1)
		act := &drillActions{fakeActions: newFakeActions()}
		m := mixedFleet(t, newActionModel(t, inv, nil, func(o *Options) { o.Actions = act; o.ReadOnly = true }, 160, 48), inv)
		m = pressAll(t, m, "D")
		if m.overlay != overlayNone || len(act.reqs) != 0 {
			t.Fatalf("read-only opened %v", m.overlay)
		}
	})
}
