package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// waitOut waits (bounded) until the program output contains want.
func waitOut(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// TestFlow drives the real program: reports arrive through the Source,
// the operator filters, selects, zooms, opens help and quits.
func TestFlow(t *testing.T) {
	inv := inventory(12)
	src := newFakeSource(len(inv))
	stop := make(chan struct{})
	m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true}, src).withStop(stop)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	for i, h := range inv {
		st := probes.OK
		if i == 4 {
			st = probes.CRIT
		}
		src.ch <- report(h, st, "hypervisor not running", t0.Add(-time.Minute))
	}
	waitOut(t, tm, "1 host CRIT: kvm-05")

	tm.Type("/staging")
	tm.Send(keytest.Press("enter"))
	tm.Send(keytest.Press("j"))
	tm.Send(keytest.Press("enter")) // zoom the selected host
	// keys are handled in order, so only text new to the screen is awaited
	tm.Send(keytest.Press("?"))
	waitOut(t, tm, "Host actions")
	tm.Send(keytest.Press("?"))
	tm.Send(keytest.Press("q"))

	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	close(stop) // ends the pending report wait and age tick; goleak checks
	if !ok {
		t.Fatal("final model has the wrong type")
	}
	if final.filterText != "staging" || final.table.Shown() != 4 {
		t.Fatalf("filter %q shows %d hosts, want staging/4", final.filterText, final.table.Shown())
	}
	if !final.zoom || final.help {
		t.Fatalf("zoom=%v help=%v, want zoomed without help", final.zoom, final.help)
	}
	// worst first: kvm-05 (CRIT) heads the staging hosts, j moves to kvm-02
	if got := selectedName(final); got != "kvm-02" {
		t.Fatalf("selected %q, want kvm-02", got)
	}
}

// TestRun checks that Run returns on quit and on a cancelled context, and
// leaves no goroutine behind (goleak in TestMain).
func TestRun(t *testing.T) {
	inv := inventory(3)
	t.Run("quit key", func(t *testing.T) {
		src := newFakeSource(0)
		in := strings.NewReader("q")
		err := run(t.Context(), Options{Hosts: inv, Now: fixedNow}, src,
			tea.WithInput(in), tea.WithOutput(io.Discard), tea.WithWindowSize(80, 24))
		if err != nil {
			t.Fatalf("Run after q: %v", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		src := newFakeSource(1)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() {
			done <- run(ctx, Options{Hosts: inv, Now: fixedNow}, src,
				tea.WithInput(pr), tea.WithOutput(io.Discard), tea.WithWindowSize(80, 24))
		}()
		src.ch <- report(inv[0], probes.OK, "", t0)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run after cancel: %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
		}
	})
}

// TestRestartFlowProgram drives the real program through a bulk restart:
// mark two hosts, x, pick the service, type 2, confirm, see the event.
func TestRestartFlowProgram(t *testing.T) {
	inv := actionInventory(4)
	src := newFakeSource(len(inv))
	act := newFakeActions()
	m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true, Actions: act}, src).withStop(t.Context().Done()).withContext(t.Context())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	for _, h := range inv {
		src.ch <- report(h, probes.OK, "", t0.Add(-time.Minute))
	}
	// the renderer writes only changed cells: after a first frame of
	// pending rows "✓ OK 4" arrives as "4"; the round's age is new text
	waitOut(t, tm, "round 1m ago")
	for _, k := range []string{"o", "space", "j", "space", "x"} {
		tm.Send(keytest.Press(k))
	}
	waitOut(t, tm, "Restart which service?")
	tm.Send(keytest.Press("j")) // virtlogd
	tm.Send(keytest.Press("enter"))
	waitOut(t, tm, "to confirm")
	tm.Type("2")
	tm.Send(keytest.Press("tab"))
	tm.Send(keytest.Press("enter"))
	// The outcome is read from the final model, not the output stream: the
	// renderer writes only the cells that changed, so a line that shares
	// its start with the one before it never appears whole in the stream.
	for _, ch := range []chan struct{}{act.called, src.signal} { // the restart, then the re-probe
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("Restart or the Refresh after it was not called")
		}
	}
	tm.Send(keytest.Press("q"))
	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !ok {
		t.Fatal("final model has the wrong type")
	}
	restarts, _, _ := act.snapshot()
	if len(restarts) != 1 || restarts[0].unit != "virtlogd" || len(restarts[0].hosts) != 2 ||
		restarts[0].hosts[0] != "kvm-01" || restarts[0].hosts[1] != "kvm-02" {
		t.Fatalf("Restart calls %+v", restarts)
	}
	for i := range 2 { // one event per host, newest first
		if e := final.log.At(i); e.Action != "restart" || e.Failed || !strings.Contains(e.Summary, "hypervisor back OK") {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	refreshed, _ := src.calls()
	if len(refreshed) != 1 || len(refreshed[0]) != 2 {
		t.Fatalf("Refresh after restart: %v, want the two hosts", refreshed)
	}
}

// TestZoomStaysOnHostProgram drives the real program: the operator zooms
// on a host and restarts it while other hosts turn CRIT and re-sort the
// table; the zoom, the selection and the restart stay on that host.
func TestZoomStaysOnHostProgram(t *testing.T) {
	inv := actionInventory(6)
	src := newFakeSource(len(inv) * 4)
	act := newFakeActions()
	m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true, Actions: act}, src).withStop(t.Context().Done()).withContext(t.Context())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	for i, h := range inv {
		st := probes.OK
		if i == 4 {
			st = probes.CRIT
		}
		src.ch <- report(h, st, "hypervisor not running: libvirtd failed", t0.Add(-time.Minute))
	}
	waitOut(t, tm, "1 host CRIT: kvm-05")
	tm.Send(keytest.Press("enter")) // zoom on the worst host, kvm-05
	// other hosts turn CRIT and sort above it, twice over
	for i, at := range []int{1, 2, 0} {
		src.ch <- report(inv[at], probes.CRIT, "hypervisor not running: libvirtd failed", t0.Add(time.Duration(i)*time.Second))
	}
	waitOut(t, tm, "4 hosts CRIT")
	tm.Send(keytest.Press("x"))
	waitOut(t, tm, "Restart which service?")
	tm.Send(keytest.Press("enter"))
	waitOut(t, tm, "Restart libvirtd on 1 host")
	tm.Send(keytest.Press("tab")) // from Cancel to Restart
	tm.Send(keytest.Press("enter"))
	select {
	case <-act.called:
	case <-time.After(5 * time.Second):
		t.Fatal("Restart was not called")
	}
	src.ch <- report(inv[3], probes.CRIT, "hypervisor not running: libvirtd failed", t0.Add(5*time.Second))
	tm.Send(keytest.Press("q"))
	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !ok {
		t.Fatal("final model has the wrong type")
	}
	restarts, _, _ := act.snapshot()
	if len(restarts) != 1 || len(restarts[0].hosts) != 1 || restarts[0].hosts[0] != "kvm-05" {
		t.Fatalf("restarted %+v, want kvm-05 only", restarts)
	}
	if !final.zoom || final.pane.Host().Name != "kvm-05" || selectedName(final) != "kvm-05" {
		t.Fatalf("zoom %v on %s, selected %s; want still zoomed on kvm-05", final.zoom, final.pane.Host().Name,
			selectedName(final))
	}
}

// TestFlowEventGroups drives the event log: a host's unreachable spell is
// one line naming the root cause with its checks folded into it; e expands
// it into the check transitions and folds it again; / with the event log
// focused filters the events.
func TestFlowEventGroups(t *testing.T) {
	inv := inventory(4)
	src := newFakeSource(len(inv) + 2)
	m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true}, src).withStop(t.Context().Done())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(200, 50))
	for _, h := range inv {
		src.ch <- report(h, probes.OK, "", t0.Add(-2*time.Minute))
	}
	down := report(inv[1], probes.CRIT, "", t0.Add(-time.Minute))
	down.Checks[0] = probes.Result{Host: inv[1].Name, Check: "ssh", Status: probes.CRIT, Time: down.Time,
		Summary: "unreachable: connection refused"}
	down.Checks[1] = probes.Result{Host: inv[1].Name, Check: "hypervisor", Status: probes.UNKNOWN, Time: down.Time,
		Summary: probes.SummaryUnreachable}
	src.ch <- down
	src.ch <- report(inv[2], probes.WARN, "autostart VM batch is shut off", t0.Add(-30*time.Second))
	waitOut(t, tm, "ssh: unreachable: connection refused (2 checks)")

	tm.Send(keytest.Press("tab"))
	tm.Send(keytest.Press("tab")) // the event log has focus
	tm.Send(keytest.Press("e"))
	// one wait per frame: reading the output consumes it
	waitOut(t, tm, "· hypervisor OK → UNKNOWN")
	tm.Type("/kvm-03")
	tm.Send(keytest.Press("enter"))
	tm.Send(keytest.Press("e"))
	tm.Send(keytest.Press("q"))

	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !ok {
		t.Fatal("final model has the wrong type")
	}
	if final.events.Expanded() || final.events.Filter() != "kvm-03" {
		t.Fatalf("expanded %v, filter %q; want folded again and filtered on kvm-03",
			final.events.Expanded(), final.events.Filter())
	}
	if ev := final.events.View(); !strings.Contains(ev, "kvm-03") || strings.Contains(ev, "kvm-02") {
		t.Fatalf("the event log filtered on kvm-03 shows:\n%s", ev)
	}
}

// TestCtrlCCancelsTheDialogProgram drives the real program: ctrl+c in the
// restart dialog's confirmation cancels the dialog (nothing runs, the
// cancel is audited, the event log says cancelled), the console stays up,
// and ctrl+c outside a dialog still quits.
func TestCtrlCCancelsTheDialogProgram(t *testing.T) {
	inv := actionInventory(4)
	src := newFakeSource(len(inv))
	act := newFakeActions()
	m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true, Actions: act}, src).withStop(t.Context().Done()).withContext(t.Context())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	for _, h := range inv {
		src.ch <- report(h, probes.OK, "", t0.Add(-time.Minute))
	}
	waitOut(t, tm, "round 1m ago")
	tm.Send(keytest.Press("x"))
	waitOut(t, tm, "Restart which service?")
	tm.Send(keytest.Press("enter"))
	waitOut(t, tm, "Command") // the confirmation is on screen
	tm.Send(keytest.Press("ctrl+c"))
	waitOut(t, tm, "cancelled")      // the audited cancel reached the event log
	tm.Send(keytest.Press("ctrl+c")) // no dialog now: this one quits
	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !ok {
		t.Fatal("final model has the wrong type")
	}
	if final.overlay != overlayNone {
		t.Fatalf("overlay %v after ctrl+c, want the dialog closed", final.overlay)
	}
	if restarts, refused, _ := act.snapshot(); len(restarts) != 0 || len(refused) != 1 {
		t.Fatalf("a cancelled dialog: restarts %+v, refusals %v; want none run and the cancel audited", restarts, refused)
	}
	if e := final.log.At(0); e.Action != "restart" || !e.Cancelled {
		t.Fatalf("newest event %+v, want the cancelled restart", e)
	}
}
