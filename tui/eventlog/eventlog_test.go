package eventlog

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/theme"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func rep(host string, st probes.Status, checks ...probes.Result) probes.HostReport {
	return probes.HostReport{Host: host, Status: st, Checks: checks, Time: t0}
}

func chk(name string, st probes.Status) probes.Result {
	return probes.Result{Check: name, Status: st, Summary: name + " " + st.String()}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name    string
		prev    probes.HostReport
		hadPrev bool
		next    probes.HostReport
		want    []string // "check:from>to", "new" for first sightings
	}{
		{"first OK: nothing", probes.HostReport{}, false, rep("a", probes.OK, chk("ssh", probes.OK)), nil},
		{"first CRIT", probes.HostReport{}, false, rep("a", probes.CRIT, chk("ssh", probes.OK), chk("hv", probes.CRIT)),
			[]string{":new>CRIT"}},
		{"unchanged", rep("a", probes.WARN, chk("hv", probes.WARN)), true, rep("a", probes.WARN, chk("hv", probes.WARN)), nil},
		{"host and check change", rep("a", probes.OK, chk("hv", probes.OK)), true, rep("a", probes.CRIT, chk("hv", probes.CRIT)),
			[]string{":OK>CRIT"}},
		{"check appears failing", rep("a", probes.OK, chk("ssh", probes.OK)), true,
			rep("a", probes.WARN, chk("ssh", probes.OK), chk("vms", probes.WARN)), []string{":OK>WARN"}},
		{"a second check fails under a CRIT host", rep("a", probes.CRIT, chk("hv", probes.CRIT), chk("vms", probes.OK)), true,
			rep("a", probes.CRIT, chk("hv", probes.CRIT), chk("vms", probes.WARN)), []string{"vms:OK>WARN"}},
		{"recovery", rep("a", probes.CRIT, chk("hv", probes.CRIT)), true, rep("a", probes.OK, chk("hv", probes.OK)),
			[]string{":CRIT>OK"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := Diff(tt.prev, tt.hadPrev, tt.next)
			var got []string
			for _, e := range evs {
				from := e.From.String()
				if e.New {
					from = "new"
				}
				got = append(got, e.Check+":"+from+">"+e.To.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("events %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestLogBounded(t *testing.T) {
	l := NewLog(3)
	for i := 0; i < 5; i++ {
		l.Append(Event{Host: string(rune('a' + i))})
	}
	if l.Len() != 3 || l.Total() != 5 {
		t.Fatalf("len %d total %d", l.Len(), l.Total())
	}
	for i, want := range []string{"e", "d", "c"} {
		if got := l.At(i).Host; got != want {
			t.Fatalf("At(%d) = %s, want %s", i, got, want)
		}
	}
	if r := l.Recent("d", 5); len(r) != 1 || r[0].Host != "d" {
		t.Fatalf("Recent = %v", r)
	}
	if r := l.Recent("a", 5); len(r) != 0 {
		t.Fatal("an event that fell off the ring is still returned")
	}
}

func TestIsNewCrit(t *testing.T) {
	tests := []struct {
		e    Event
		want bool
	}{
		{Event{From: probes.OK, To: probes.CRIT}, true},
		{Event{New: true, To: probes.CRIT}, true},
		{Event{From: probes.CRIT, To: probes.OK}, false},
		{Event{From: probes.OK, To: probes.WARN}, false},
	}
	for _, tt := range tests {
		if got := tt.e.IsNewCrit(); got != tt.want {
			t.Errorf("%+v: %v, want %v", tt.e, got, tt.want)
		}
	}
}

func TestActionLine(t *testing.T) {
	th := theme.New(true, false)
	tests := []struct {
		name      string
		e         Event
		want      []string
		hot       bool
		notWanted string
	}{
		{"done", Event{Time: t0, Host: "kvm-01", Action: "restart", Summary: "restarted libvirtd, hypervisor back OK in 4 s"},
			[]string{"   09:00:00 kvm-01", "restart", "✓ done", "back OK in 4 s"}, false, "→"},
		{"failed", Event{Time: t0, Host: "kvm-02", Action: "restart", Failed: true, Summary: "restart of libvirtd failed: exit 5"},
			[]string{"!! 09:00:00 kvm-02", "✗ FAILED", "failed: exit 5"}, true, "→"},
		{"remote text cleaned", Event{Time: t0, Host: "kvm-03", Action: "restart", Failed: true, Summary: "bad\x1b[2Jtext"},
			[]string{"bad[2Jtext"}, true, "\x1b[2J"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.e.Hot() != tt.hot || tt.e.IsNewCrit() {
				t.Fatalf("Hot %v IsNewCrit %v", tt.e.Hot(), tt.e.IsNewCrit())
			}
			line := ansi.Strip(Line(th, tt.e, true, 120, t0))
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("line %q lacks %q", line, w)
				}
			}
			if strings.Contains(line, tt.notWanted) {
				t.Errorf("line %q contains %q", line, tt.notWanted)
			}
			if w := ansi.StringWidth(line); w != 120 {
				t.Errorf("line is %d wide, want 120", w)
			}
		})
	}
}

// An unreachable spell is one line down and one up, naming the cause, with
// the checks' transitions folded in.
func TestDiffFoldsASpell(t *testing.T) {
	ok := rep("a", probes.OK, chk("ssh", probes.OK), chk("hypervisor", probes.OK), chk("vms", probes.OK),
		chk("kvm", probes.OK), chk("resources", probes.OK), chk("storage", probes.OK), chk("backups", probes.OK))
	down := rep("a", probes.CRIT, probes.Result{Check: "ssh", Status: probes.CRIT, Summary: "unreachable: connection refused"},
		chk("hypervisor", probes.UNKNOWN), chk("vms", probes.UNKNOWN), chk("kvm", probes.UNKNOWN),
		chk("resources", probes.UNKNOWN), chk("storage", probes.UNKNOWN), chk("backups", probes.UNKNOWN))
	evs := Diff(ok, true, down)
	if len(evs) != 1 || evs[0].Summary != "ssh: unreachable: connection refused" || len(evs[0].Folded) != 7 {
		t.Fatalf("down: %+v", evs)
	}
	evs = Diff(down, true, ok)
	if len(evs) != 1 || evs[0].Summary != "recovered from ssh: unreachable: connection refused" || len(evs[0].Folded) != 7 {
		t.Fatalf("up: %+v", evs)
	}
	if !evs[0].Matches("a recovered ssh") || evs[0].Matches("kvm-99") {
		t.Fatal("Matches")
	}
}

// An event line carries a date when it is not today's, in the console's
// one time format (cell.Clock).
func TestLineDated(t *testing.T) {
	th := theme.New(true, false)
	now := time.Date(2026, 11, 27, 0, 0, 5, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(-3 * time.Second), "   00:00:02 kvm-01"},
		{now.Add(-10 * time.Second), "   Nov 26 23:59:55 kvm-01"},
	} {
		e := Event{Time: tc.at, Host: "kvm-01", Check: "vms", From: probes.OK, To: probes.WARN, Summary: "VM web shut off"}
		if line := ansi.Strip(Line(th, e, true, 100, now)); !strings.HasPrefix(line, tc.want) {
			t.Errorf("line %q, want it to start %q", line, tc.want)
		}
	}
}

// A host whose change was UNKNOWN while the link was checked, then CRIT
// within seconds, is one line naming the cause; later, or to OK, or with
// an action in between, it is not merged.
func TestLogMergesUnknownIntoTheCause(t *testing.T) {
	down := func(at time.Time, from, to probes.Status, sum string, folded ...string) Event {
		return Event{Time: at, Host: "kvm-01", From: from, To: to, Summary: sum, Folded: folded}
	}
	doubt := down(t0, probes.OK, probes.UNKNOWN, "hypervisor: link in doubt", "hypervisor OK -> UNKNOWN")
	for _, tc := range []struct {
		name  string
		evs   []Event
		lines int
	}{
		{"unknown then crit within the window", []Event{doubt,
			down(t0.Add(2*time.Second), probes.UNKNOWN, probes.CRIT, "ssh: unreachable: connection refused", "ssh OK -> CRIT")}, 1},
		{"another host between", []Event{doubt, {Time: t0, Host: "kvm-02", From: probes.OK, To: probes.CRIT, Summary: "x"},
			down(t0.Add(time.Second), probes.UNKNOWN, probes.CRIT, "ssh: unreachable", "ssh OK -> CRIT")}, 2},
		{"too late", []Event{doubt, down(t0.Add(time.Minute), probes.UNKNOWN, probes.CRIT, "ssh: unreachable")}, 2},
		{"back to OK is news", []Event{doubt, down(t0.Add(time.Second), probes.UNKNOWN, probes.OK, "recovered")}, 2},
		{"an action between", []Event{doubt, {Time: t0, Host: "kvm-01", Action: "restart", Summary: "restarted"},
			down(t0.Add(time.Second), probes.UNKNOWN, probes.CRIT, "ssh: unreachable")}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLog(10)
			added := l.Append(tc.evs...)
			if l.Len() != tc.lines || added != tc.lines {
				t.Fatalf("%d lines (%d added), want %d", l.Len(), added, tc.lines)
			}
			if tc.lines == 1 {
				e := l.At(0)
				if e.From != probes.OK || e.To != probes.CRIT || e.Summary != "ssh: unreachable: connection refused" ||
					!e.Time.Equal(t0) || len(e.Folded) != 2 || !e.IsNewCrit() {
					t.Fatalf("merged line %+v, want OK → CRIT naming the cause, at the first change, both checks folded", e)
				}
			}
		})
	}
}
