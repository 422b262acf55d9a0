package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

func selectedName(m Model) string {
	if h := m.table.Selected(); h != nil {
		return h.Name
	}
	return ""
}

func TestNavigation(t *testing.T) {
	inv := inventory(40)
	base := newTestModel(t, inv, nil, 80, 24)
	base = step(t, base, keytest.Press("o")) // name order: kvm-01 .. kvm-40
	page := base.tableHeight() - 2
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"start", nil, "kvm-01"},
		{"j", []string{"j"}, "kvm-02"},
		{"down arrow", []string{"down", "down"}, "kvm-03"},
		{"k at top stays", []string{"k"}, "kvm-01"},
		{"j then up", []string{"j", "j", "up"}, "kvm-02"},
		{"G", []string{"G"}, "kvm-40"},
		{"G then g", []string{"G", "g"}, "kvm-01"},
		{"pgdown", []string{"pgdown"}, inv[page].Name},
		{"pgdown pgup", []string{"pgdown", "pgup"}, "kvm-01"},
		{"j past end clamps", append([]string{"G"}, "j", "j"), "kvm-40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base
			for _, k := range tt.keys {
				m = step(t, m, keytest.Press(k))
			}
			if got := selectedName(m); got != tt.want {
				t.Fatalf("selected %q, want %q", got, tt.want)
			}
			if m.pane.Host() == nil || m.pane.Host().Name != tt.want {
				t.Fatalf("host pane shows %v, want %s", m.pane.Host(), tt.want)
			}
			if !strings.Contains(plain(m), "› ") {
				t.Fatal("no cursor marker on screen")
			}
		})
	}
}

func TestFilter(t *testing.T) {
	inv := inventory(12)
	base := mixedFleet(t, newTestModel(t, inv, nil, 80, 24), inv)
	tests := []struct {
		name      string
		keys      string
		then      []string
		shown     int
		filtering bool
	}{
		{"substring on name", "/kvm-1", nil, 3, true},
		{"substring on tag", "/staging", nil, 4, true},
		{"status crit", "/status:crit", nil, 2, true},
		{"status unknown", "/status:UNKNOWN", nil, 1, true},
		{"tag exact", "/tag:db", nil, 4, true},
		{"tag not substring", "/tag:d", nil, 0, true},
		{"terms combine", "/status:crit prod", nil, 2, true},
		{"no match", "/nothing-here", nil, 0, true},
		{"enter keeps", "/staging", []string{"enter"}, 4, false},
		{"esc clears", "/staging", []string{"esc"}, 12, false},
		{"backspace edits", "/kvm-1x", []string{"backspace"}, 3, true},
		{"esc after enter clears", "/staging", []string{"enter", "esc"}, 12, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := typeKeys(t, base, tt.keys)
			for _, k := range tt.then {
				m = step(t, m, keytest.Press(k))
			}
			if got := m.table.Shown(); got != tt.shown {
				t.Fatalf("shown %d hosts, want %d", got, tt.shown)
			}
			if m.filtering != tt.filtering {
				t.Fatalf("filtering = %v, want %v", m.filtering, tt.filtering)
			}
		})
	}
	t.Run("typing q in filter does not quit", func(t *testing.T) {
		m := typeKeys(t, base, "/")
		m, cmd := stepCmd(t, m, keytest.Press("q"))
		if cmd != nil {
			if _, quit := cmd().(tea.QuitMsg); quit {
				t.Fatal("q quit while typing a filter")
			}
		}
		if m.filterText != "q" {
			t.Fatalf("filter %q, want q", m.filterText)
		}
	})
}

func TestSortCycle(t *testing.T) {
	inv := inventory(12)
	m := mixedFleet(t, newTestModel(t, inv, nil, 80, 24), inv)
	// make kvm-12 the slowest and kvm-09 the latest change
	slow := report(inv[11], probes.OK, "", t0.Add(-10*time.Second))
	slow.SSHLatency = 900 * time.Millisecond
	changed := report(inv[8], probes.WARN, "load high", t0.Add(-5*time.Second))
	m = step(t, m, reportsMsg{reports: []probes.HostReport{slow, changed}})
	tests := []struct {
		mode  fleet.SortMode
		first string
	}{
		{fleet.SortName, "kvm-01"},
		{fleet.SortLatency, "kvm-12"},
		{fleet.SortChange, "kvm-09"},
		{fleet.SortWorst, "kvm-03"},
	}
	for _, tt := range tests {
		m = step(t, m, keytest.Press("o"))
		t.Run(tt.mode.String(), func(t *testing.T) {
			if m.table.SortMode() != tt.mode {
				t.Fatalf("mode %v, want %v", m.table.SortMode(), tt.mode)
			}
			var got string
			m.table.Ordered(func(h *fleet.Host) bool { got = h.Name; return false })
			if got != tt.first {
				t.Fatalf("first row %q, want %q", got, tt.first)
			}
			if !strings.Contains(plain(m), "sort: "+tt.mode.String()) {
				t.Fatal("sort mode not shown in the table title")
			}
		})
	}
}

func TestPauseAndRefresh(t *testing.T) {
	inv := inventory(4)
	src := newFakeSource(1)
	m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true}, src)
	m.tick = instantTick
	m = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})

	run := func(cmd tea.Cmd) {
		t.Helper()
		for _, c := range flatten(cmd) {
			c()
		}
	}
	m, cmd := stepCmd(t, m, keytest.Press("p"))
	run(cmd)
	if !m.paused || !strings.Contains(plain(m), "[PAUSED]") {
		t.Fatal("p did not pause, or the header does not say so")
	}
	m, cmd = stepCmd(t, m, keytest.Press("p"))
	run(cmd)
	if m.paused || strings.Contains(plain(m), "[PAUSED]") {
		t.Fatal("second p did not resume")
	}
	m, cmd = stepCmd(t, m, keytest.Press("j"))
	run(cmd)
	m, cmd = stepCmd(t, m, keytest.Press("r"))
	run(cmd)
	_, cmd = stepCmd(t, m, keytest.Press("R"))
	run(cmd)
	refreshed, paused := src.calls()
	if len(paused) != 2 || !paused[0] || paused[1] {
		t.Fatalf("SetPaused calls %v, want [true false]", paused)
	}
	if len(refreshed) != 2 || len(refreshed[0]) != 1 || refreshed[0][0] != "kvm-02" || len(refreshed[1]) != 0 {
		t.Fatalf("Refresh calls %v, want [[kvm-02] []]", refreshed)
	}
}

// flatten runs batch commands apart so a test can execute each one; the
// report wait and ticks are skipped (they block or sleep).
func flatten(cmd tea.Cmd) []tea.Cmd {
	if cmd == nil {
		return nil
	}
	var out []tea.Cmd
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			if c != nil {
				out = append(out, c)
			}
		}
		return out
	}
	return []tea.Cmd{func() tea.Msg { return msg }}
}

func TestStatusChangeAppendsEventAndRings(t *testing.T) {
	inv := inventory(3)
	tests := []struct {
		name       string
		first      probes.Status
		second     probes.Status
		bell       bool
		wantEvents int // host + hypervisor check transitions over both reports
		wantBell   bool
	}{
		// one event per host change, the checks' transitions folded into it
		{"ok to crit rings", probes.OK, probes.CRIT, true, 1, true},
		{"bell off stays quiet", probes.OK, probes.CRIT, false, 1, false},
		{"crit at start is an event, no bell", probes.CRIT, probes.CRIT, true, 1, false},
		{"crit to ok is an event", probes.CRIT, probes.OK, true, 2, false},
		{"ok to warn", probes.OK, probes.WARN, true, 1, false},
		{"ok stays ok: nothing", probes.OK, probes.OK, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, inv, func(o *Options) { o.Bell = tt.bell }, 80, 24)
			m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[0], tt.first, "hypervisor not running", t0.Add(-time.Minute))}})
			m, cmd := stepCmd(t, m, reportsMsg{reports: []probes.HostReport{report(inv[0], tt.second, "hypervisor not running", t0)}})
			h, _ := m.table.Lookup(inv[0].Name)
			if h.Status() != tt.second {
				t.Fatalf("row status %v, want %v", h.Status(), tt.second)
			}
			if m.log.Len() != tt.wantEvents {
				t.Fatalf("%d events, want %d", m.log.Len(), tt.wantEvents)
			}
			if tt.first != tt.second && !h.Changed.Equal(t0) {
				t.Fatalf("Changed %v, want %v", h.Changed, t0)
			}
			if tt.wantEvents > 0 {
				e := m.log.At(0)
				if e.Host != inv[0].Name || e.Check != "" || e.To != tt.second {
					t.Fatalf("newest host event %+v", e)
				}
			}
			if got := rang(cmd); got != tt.wantBell {
				t.Fatalf("bell = %v, want %v", got, tt.wantBell)
			}
		})
	}
}

// rang reports whether a command batch contains the bell.
func rang(cmd tea.Cmd) bool {
	for _, c := range flatten(cmd) {
		if raw, ok := c().(tea.RawMsg); ok && raw.Msg == "\a" {
			return true
		}
	}
	return false
}

func TestEventShownInLogAndPane(t *testing.T) {
	inv := inventory(3)
	m := newTestModel(t, inv, nil, 160, 48)
	m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[1], probes.OK, "", t0.Add(-time.Minute))}})
	m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[1], probes.CRIT, "hypervisor not running", t0)}})
	out := plain(m)
	for _, want := range []string{"!! 09:26:53 kvm-02", "hypervisor not running", "1 host CRIT: kvm-02"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
}

func TestPanesZoomHelpWarRoom(t *testing.T) {
	inv := inventory(6)
	m := mixedFleet(t, newTestModel(t, inv, nil, 80, 24), inv)
	m = step(t, m, keytest.Press("tab"))
	if m.focus != focusHost {
		t.Fatalf("tab: focus %v, want host", m.focus)
	}
	m = step(t, m, keytest.Press("tab"))
	if m.focus != focusEvents || !strings.Contains(plain(m), "═ Events") {
		t.Fatal("second tab should show the event log")
	}
	m = step(t, m, keytest.Press("tab"))
	if m.focus != focusFleet {
		t.Fatal("third tab should return to the fleet")
	}
	m = step(t, m, keytest.Press("enter"))
	if !m.zoom || strings.Contains(plain(m), " Fleet ") {
		t.Fatal("enter should zoom the host pane over the whole body")
	}
	m = step(t, m, keytest.Press("esc"))
	if m.zoom {
		t.Fatal("esc should leave zoom")
	}
	m = step(t, m, keytest.Press("?"))
	if !m.help || !strings.Contains(plain(m), "Help") {
		t.Fatal("? should open help")
	}
	m = step(t, m, keytest.Press("j"))
	if !m.help {
		t.Fatal("keys other than ?/esc/q must not close help")
	}
	m = step(t, m, keytest.Press("esc"))
	if m.help {
		t.Fatal("esc should close help")
	}
	m = step(t, m, keytest.Press("w"))
	if !m.war {
		t.Fatal("w should open the war room")
	}
	m, cmd := stepCmd(t, m, keytest.Press("r"))
	if cmd != nil && len(flatten(cmd)) > 0 && m.note == "" {
		t.Fatal("r in the war room should be refused")
	}
	m = step(t, m, keytest.Press("w"))
	if m.war {
		t.Fatal("w should leave the war room")
	}
	_, cmd = stepCmd(t, m, keytest.Press("q"))
	if !quits(cmd) {
		t.Fatal("q should quit")
	}
	_, cmd = stepCmd(t, m, keytest.Press("ctrl+c"))
	if !quits(cmd) {
		t.Fatal("ctrl+c should quit")
	}
}

func quits(cmd tea.Cmd) bool {
	for _, c := range flatten(cmd) {
		if _, ok := c().(tea.QuitMsg); ok {
			return true
		}
	}
	return false
}

func TestReadOnly(t *testing.T) {
	inv := inventory(3)
	tests := []struct {
		name     string
		readOnly bool
		note     string
	}{
		{"read-only refuses restart", true, "restart unavailable: read-only"},
		{"no action layer", false, "restart unavailable: no action layer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, inv, func(o *Options) { o.ReadOnly = tt.readOnly }, 80, 24)
			if got := strings.Contains(plain(m), "[READ-ONLY]"); got != tt.readOnly {
				t.Fatalf("READ-ONLY badge shown = %v", got)
			}
			m = step(t, m, keytest.Press("x"))
			if !strings.Contains(plain(m), tt.note) {
				t.Fatalf("footer lacks %q:\n%s", tt.note, plain(m))
			}
		})
	}
}

func TestUnknownHostAddsRow(t *testing.T) {
	inv := inventory(2)
	m := newTestModel(t, inv, nil, 80, 24)
	extra := report(hosts.Host{Name: "late-1", Tags: []string{"new"}}, probes.WARN, "odd", t0)
	m = step(t, m, reportsMsg{reports: []probes.HostReport{extra}})
	if m.table.Total() != 3 || !strings.Contains(plain(m), "late-1 new") {
		t.Fatalf("report for an unknown host not shown:\n%s", plain(m))
	}
}

func TestRemoteTextSanitized(t *testing.T) {
	inv := inventory(1)
	m := newTestModel(t, inv, nil, 160, 48)
	r := report(inv[0], probes.CRIT, "bad\x1b[2J\x1b]0;pwned\x07 news\u202e", t0)
	r.Checks[1].Details = "line1\r\n\x1b[31mred\x1b[0m\tend\x00"
	r.Version = "QEMU\x9b9 8.2"
	r.VMs = append(r.VMs, probes.VM{Name: "vm\x1bx", State: "paused", Reason: "ioerror"})
	m = step(t, m, reportsMsg{reports: []probes.HostReport{r}})
	raw := m.View().Content
	for _, bad := range []string{"\x1b[2J", "\x1b]0", "\x07", "\x00", "\u202e", "\x9b", "\x1bx", "\x1b[31mred"} {
		if strings.Contains(raw, bad) {
			t.Errorf("view contains %q", bad)
		}
	}
	if !strings.Contains(plain(m), "line1") || !strings.Contains(plain(m), "[31mred[0m end") {
		t.Errorf("cleaned details missing:\n%s", plain(m))
	}
}

func TestNoColor(t *testing.T) {
	inv := inventory(8)
	tests := []struct {
		name      string
		noColor   bool
		wantColor bool
	}{
		{"no colour", true, false},
		{"colour", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, inv, func(o *Options) { o.NoColor = tt.noColor }, 160, 48)
			m = mixedFleet(t, m, inv)
			raw := m.View().Content
			// SGR colour parameters: 30-37/90-97 foreground, 40-47 background, 38/48 extended.
			colored := false
			for _, p := range []string{"[31m", "[32m", "[33m", ";31", ";32", ";41", "[41", "38;", "48;"} {
				colored = colored || strings.Contains(raw, p)
			}
			if colored != tt.wantColor {
				t.Fatalf("colour present = %v, want %v", colored, tt.wantColor)
			}
			if !strings.Contains(plain(m), "✗ CRIT") {
				t.Fatal("status must be a symbol and a word")
			}
		})
	}
}

func TestWithEnv(t *testing.T) {
	tests := []struct {
		name             string
		env              []string
		noColor, asciiOn bool
	}{
		{"plain utf-8", []string{"LANG=en_US.UTF-8"}, false, false},
		{"NO_COLOR", []string{"NO_COLOR=1", "LANG=C.UTF-8"}, true, false},
		{"empty NO_COLOR is unset", []string{"NO_COLOR=", "LANG=C.utf8"}, false, false},
		{"C locale", []string{"LANG=C"}, false, true},
		{"LC_ALL wins", []string{"LC_ALL=POSIX", "LANG=en_US.UTF-8"}, false, true},
		{"no locale", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{}.WithEnv(tt.env)
			if o.NoColor != tt.noColor || o.ASCII != tt.asciiOn {
				t.Fatalf("got NoColor=%v ASCII=%v", o.NoColor, o.ASCII)
			}
		})
	}
}

func TestResizeNeverBreaks(t *testing.T) {
	inv := inventory(30)
	for _, mode := range []string{"console", "zoom", "help", "war", "events"} {
		m := mixedFleet(t, newTestModel(t, inv, nil, 100, 30), inv)
		switch mode {
		case "zoom":
			m = step(t, m, keytest.Press("enter"))
		case "help":
			m = step(t, m, keytest.Press("?"))
		case "war":
			m = step(t, m, keytest.Press("w"))
		case "events":
			m = step(t, m, keytest.Press("tab"))
			m = step(t, m, keytest.Press("tab"))
		}
		for w := 0; w <= 260; w += 13 {
			for h := 0; h <= 75; h += 4 {
				m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
				checkFrame(t, mode, m, w, h)
			}
		}
	}
}

func checkFrame(t *testing.T, mode string, m Model, w, h int) {
	t.Helper()
	out := plain(m)
	if w == 0 || h == 0 {
		if out != "" {
			t.Fatalf("%s %dx%d: want empty frame", mode, w, h)
		}
		return
	}
	lines := strings.Split(out, "\n")
	if w < minWidth || h < minHeight {
		if len(lines) != 1 || !strings.HasPrefix("terminal too small", lines[0][:min(len(lines[0]), 18)]) {
			t.Fatalf("%s %dx%d: want one too-small line, got %q", mode, w, h, out)
		}
	} else if len(lines) != h {
		t.Fatalf("%s %dx%d: %d lines", mode, w, h, len(lines))
	}
	for i, l := range lines {
		if lw := widthOf(l); lw > w {
			t.Fatalf("%s %dx%d: line %d is %d wide: %q", mode, w, h, i, lw, l)
		}
	}
}

func TestWaitReports(t *testing.T) {
	inv := inventory(3)
	t.Run("drains what is ready into one batch", func(t *testing.T) {
		ch := make(chan probes.HostReport, 3)
		for _, h := range inv {
			ch <- report(h, probes.OK, "", t0)
		}
		msg := waitReports(ch, nil)().(reportsMsg)
		if len(msg.reports) != 3 || msg.closed {
			t.Fatalf("got %d reports closed=%v", len(msg.reports), msg.closed)
		}
	})
	t.Run("closed channel ends the feed", func(t *testing.T) {
		ch := make(chan probes.HostReport, 1)
		ch <- report(inv[0], probes.OK, "", t0)
		close(ch)
		msg := waitReports(ch, nil)().(reportsMsg)
		if len(msg.reports) != 1 || !msg.closed {
			t.Fatalf("got %d reports closed=%v", len(msg.reports), msg.closed)
		}
		m := newTestModel(t, inv, nil, 80, 24)
		m.src = newFakeSource(0)
		m, cmd := stepCmd(t, m, msg)
		if !m.closed || !strings.Contains(plain(m), "probing stopped") {
			t.Fatal("closed feed not shown")
		}
		for _, c := range flatten(cmd) {
			if _, isTick := c().(ageTickMsg); !isTick {
				t.Fatal("a closed feed must not be waited on again")
			}
		}
	})
	t.Run("stop ends a pending wait", func(t *testing.T) {
		stop := make(chan struct{})
		close(stop)
		if msg := waitReports(make(chan probes.HostReport), stop)(); msg != nil {
			t.Fatalf("got %T, want nil", msg)
		}
	})
}

func TestAgeTick(t *testing.T) {
	inv := inventory(2)
	m := newTestModel(t, inv, nil, 80, 24)
	if m.nextAgeChange() != 0 {
		t.Fatal("no ages on screen: no tick wanted")
	}
	var batch []probes.HostReport
	for _, h := range inv {
		batch = append(batch, report(h, probes.OK, "", t0.Add(-90*time.Second)))
	}
	m, cmd := stepCmd(t, m, reportsMsg{reports: batch})
	// ages read "1m": the next change is at 2m, 30 s away
	if got := m.nextAgeChange(); got != 30*time.Second {
		t.Fatalf("next age change in %v, want 30s", got)
	}
	if cmd == nil || m.tickGen == 0 {
		t.Fatal("a tick should be scheduled")
	}
	gen := m.tickGen
	m, cmd = stepCmd(t, m, keytest.Press("j"))
	if m.tickGen != gen {
		t.Fatal("a second tick was scheduled while one is pending for the same moment")
	}
	if _, cmd = stepCmd(t, m, ageTickMsg{gen: gen - 1}); cmd != nil {
		t.Fatal("a stale tick must do nothing")
	}
	m, _ = stepCmd(t, m, ageTickMsg{gen: gen})
	if m.tickGen != gen+1 {
		t.Fatal("the current tick should schedule the next one")
	}
}
