package tui

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/ack"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// testClock is a clock the test moves: expiry without sleeping.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// ackRecord is one RecordAck call.
type ackRecord struct {
	host, owner, note, ended string
	expires                  time.Time
}

// ackActions is a read-only action layer that audits acks, as a
// read-only console's runner does.
type ackActions struct {
	*fakeActions
	mu      sync.Mutex
	records []ackRecord
}

func newAckActions() *ackActions {
	a := &ackActions{fakeActions: newFakeActions()}
	a.readOnly = true
	return a
}

func (a *ackActions) RecordAck(host, owner, note string, expires time.Time, ended string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, ackRecord{host, owner, note, ended, expires})
	return nil
}

func (a *ackActions) recorded() []ackRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]ackRecord(nil), a.records...)
}

// ackProgram starts a read-only console of three hosts with kvm-02 CRIT,
// acknowledged by alice with the note typed (and the expiry, when set).
func ackProgram(t *testing.T, clock *testClock, expiry string) (*teatest.TestModel, *fakeSource, *ackActions) {
	t.Helper()
	inv := inventory(3)
	src := newFakeSource(len(inv))
	act := newAckActions()
	m := New(Options{Hosts: inv, Now: clock.Now, NoColor: true, Actions: act, AckOwner: "alice"}, src).
		withStop(t.Context().Done()).withContext(t.Context())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	for i, h := range inv {
		st := probes.OK
		if i == 1 {
			st = probes.CRIT
		}
		src.ch <- report(h, st, "hypervisor not running: libvirtd inactive", t0.Add(-time.Minute))
	}
	waitOut(t, tm, "1 host CRIT: kvm-02")
	tm.Send(keytest.Press("a"))
	waitOut(t, tm, "Acknowledge the problem of kvm-02")
	tm.Type("on it, disk full")
	if expiry != "" {
		tm.Send(keytest.Press("tab"))
		tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		tm.Type(expiry)
	}
	tm.Send(keytest.Press("enter"))
	// one wait per frame: the output is read once, and the renderer
	// writes only the cells that change
	waitOut(t, tm, `on it, disk full"`)
	return tm, src, act
}

func quit(t *testing.T, tm *teatest.TestModel) Model {
	t.Helper()
	tm.Send(keytest.Press("q"))
	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !ok {
		t.Fatal("final model has the wrong type")
	}
	return final
}

// A read-only console acknowledges a CRIT host: the pane and the war room
// show the whole ack, the table its owner and time left, and the time
// left counts down with the clock; the ack is audited.
func TestAckFlowProgram(t *testing.T) {
	clock := &testClock{now: t0}
	tm, _, act := ackProgram(t, clock, "")
	clock.Advance(8 * time.Minute)
	final := quit(t, tm)
	out := plain(final)
	for _, want := range []string{`ACK alice 1h52m left: "on it, disk full"`, "ACK alice 1h52m hypervisor: libvirtd"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	final = step(t, final, keytest.Press("w"))
	if out := plain(final); !strings.Contains(out, `ACK alice 1h52m left`) {
		t.Errorf("war room lacks the ack:\n%s", out)
	}
	recs := act.recorded()
	if len(recs) != 1 || recs[0].ended != "" || recs[0].host != "kvm-02" || recs[0].owner != "alice" ||
		recs[0].note != "on it, disk full" || !recs[0].expires.Equal(t0.Add(ack.DefaultExpiry)) {
		t.Errorf("audited %+v, want the ack made", recs)
	}
}

// A removes an ack, audited; the host rings again if it goes CRIT anew.
func TestUnackFlowProgram(t *testing.T) {
	clock := &testClock{now: t0}
	tm, _, act := ackProgram(t, clock, "")
	tm.Send(keytest.Press("A"))
	waitOut(t, tm, "ack by alice ended: removed")
	final := quit(t, tm)
	if h, _ := final.table.Lookup("kvm-02"); h.Ack != nil {
		t.Errorf("kvm-02 still acked after A: %+v", h.Ack)
	}
	recs := act.recorded()
	if len(recs) != 2 || recs[0].ended != "" || recs[1].ended != ack.Removed ||
		recs[0].owner != "alice" || recs[0].note != "on it, disk full" || !recs[0].expires.Equal(t0.Add(ack.DefaultExpiry)) {
		t.Errorf("audited %+v, want the ack made then removed", recs)
	}
}

// An ack ends by itself when its host is OK again.
func TestAckEndsOnRecoveryProgram(t *testing.T) {
	clock := &testClock{now: t0}
	tm, src, act := ackProgram(t, clock, "")
	src.ch <- report(inventory(3)[1], probes.OK, "", clock.Now())
	waitOut(t, tm, "ack by alice ended: recovered")
	final := quit(t, tm)
	if h, _ := final.table.Lookup("kvm-02"); h.Ack != nil {
		t.Errorf("kvm-02 still acked when OK: %+v", h.Ack)
	}
	if recs := act.recorded(); len(recs) != 2 || recs[1].ended != ack.Recovered {
		t.Errorf("audited %+v, want made then recovered", recs)
	}
}

// An ack with a typed expiry ends when the clock passes it, while the
// host is still CRIT.
func TestAckExpiryProgram(t *testing.T) {
	clock := &testClock{now: t0}
	tm, src, act := ackProgram(t, clock, "30m")
	clock.Advance(31 * time.Minute)
	src.ch <- report(inventory(3)[1], probes.CRIT, "hypervisor not running: libvirtd inactive", clock.Now())
	waitOut(t, tm, "ack by alice ended: expired")
	final := quit(t, tm)
	if h, _ := final.table.Lookup("kvm-02"); h.Ack != nil || h.Status() != probes.CRIT {
		t.Errorf("kvm-02 %v acked %+v, want CRIT without an ack", h.Status(), h.Ack)
	}
	if recs := act.recorded(); len(recs) != 2 || recs[1].ended != ack.Expired ||
		!recs[0].expires.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("audited %+v, want made for 30m then expired", recs)
	}
}

// The age wake-up alone ends an expired ack: no report needs to come.
func TestAckExpiresOnTick(t *testing.T) {
	clock := &testClock{now: t0}
	inv := inventory(2)
	m := newTestModel(t, inv, func(o *Options) { o.Now = clock.Now }, 120, 40)
	m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[0], probes.CRIT, "hypervisor not running", t0)}})
	m = step(t, m, ackMadeMsg{acks: []ack.Ack{ack.New("kvm-01", "bob", "", t0, time.Minute)}})
	if h, _ := m.table.Lookup("kvm-01"); h.Ack == nil {
		t.Fatal("ack not made")
	}
	if d := m.nextAgeChange(); d <= 0 || d > time.Minute {
		t.Fatalf("next wake-up in %v, want within the ack's minute", d)
	}
	clock.Advance(time.Minute)
	m = step(t, m, ageTickMsg{gen: m.tickGen})
	if h, _ := m.table.Lookup("kvm-01"); h.Ack != nil {
		t.Fatalf("ack still on after its expiry: %+v", h.Ack)
	}
	if e := m.log.At(0); e.Action != ack.Action || !strings.Contains(e.Summary, "ended: expired") {
		t.Fatalf("newest event %+v, want the ack's expiry", e)
	}
}

// An acknowledged host sorts after the unacknowledged hosts of its status
// (and before milder ones), and going CRIT again does not ring the bell.
func TestAckSortsAfterAndSilencesBell(t *testing.T) {
	inv := inventory(3)
	m := newTestModel(t, inv, nil, 120, 40)
	m = step(t, m, reportsMsg{reports: []probes.HostReport{
		report(inv[0], probes.CRIT, "hypervisor not running", t0),
		report(inv[1], probes.CRIT, "hypervisor not running", t0),
		report(inv[2], probes.WARN, "autostart VM down", t0),
	}})
	m = step(t, m, ackMadeMsg{acks: []ack.Ack{ack.New("kvm-01", "bob", "", t0, time.Hour)}})
	var order []string
	m.table.Ordered(func(h *fleet.Host) bool { order = append(order, h.Name); return true })
	if got := strings.Join(order, " "); got != "kvm-02 kvm-01 kvm-03" {
		t.Fatalf("order %q, want kvm-02 kvm-01 kvm-03 (acked CRIT after CRIT, before WARN)", got)
	}
	m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[0], probes.WARN, "autostart VM down", t0)}})
	_, cmd := stepCmd(t, m, reportsMsg{reports: []probes.HostReport{report(inv[0], probes.CRIT, "hypervisor not running", t0)}})
	if rang(cmd) {
		t.Fatal("an acknowledged host rang the bell")
	}
}

// At 80x24 the table row abbreviates the ack (owner and time left before
// the cause) and the pane shows it whole, note included; nothing passes
// the 80th column.
func TestAckAt80Columns(t *testing.T) {
	inv := inventory(3)
	m := newTestModel(t, inv, nil, 80, 24)
	m = step(t, m, reportsMsg{reports: []probes.HostReport{
		report(inv[0], probes.OK, "", t0), report(inv[1], probes.CRIT, "hypervisor not running: libvirtd inactive", t0),
		report(inv[2], probes.OK, "", t0)}})
	m = step(t, m, ackMadeMsg{acks: []ack.Ack{ack.New("kvm-02", "alice", "on it, disk full", t0.Add(-8*time.Minute), 2*time.Hour)}})
	out := plain(m)
	row, pane := "", false
	for _, l := range strings.Split(out, "\n") {
		if len([]rune(l)) > 80 {
			t.Errorf("line wider than 80 columns: %q", l)
		}
		if strings.Contains(l, "kvm-02 staging") {
			row = l
		}
		pane = pane || strings.TrimSpace(l) == `ACK alice 1h52m left: "on it, disk full"`
	}
	if !strings.Contains(row, "ACK alice 1h52m hyperv") {
		t.Errorf("table row %q, want the abbreviated ack before the cause", row)
	}
	if !pane {
		t.Errorf("the pane lacks the whole ack:\n%s", out)
	}
}
