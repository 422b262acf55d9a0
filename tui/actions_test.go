package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/confirm"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

func TestMarkKeys(t *testing.T) {
	inv := actionInventory(12)
	base := mixedFleet(t, newActionModel(t, inv, newFakeActions(), nil, 80, 24), inv)
	base = pressAll(t, base, "o") // name order
	tests := []struct {
		name   string
		keys   []string
		marked []string
		filter string
		zoom   bool
	}{
		{"space marks the selected host", []string{"space"}, []string{"kvm-01"}, "", false},
		{"space twice unmarks", []string{"space", "space"}, nil, "", false},
		{"mark two", []string{"space", "j", "space"}, []string{"kvm-01", "kvm-02"}, "", false},
		{"ctrl+a marks the filtered rows only", []string{"/", "s", "t", "a", "g", "enter", "ctrl+a"},
			[]string{"kvm-02", "kvm-05", "kvm-08", "kvm-11"}, "stag", false},
		{"esc clears the filter before the marks", []string{"/", "s", "t", "a", "g", "enter", "ctrl+a", "esc"},
			[]string{"kvm-02", "kvm-05", "kvm-08", "kvm-11"}, "", false},
		{"second esc clears the marks", []string{"/", "s", "t", "a", "g", "enter", "ctrl+a", "esc", "esc"}, nil, "", false},
		{"esc leaves zoom before touching marks", []string{"space", "enter", "esc"}, []string{"kvm-01"}, "", false},
		{"marks allowed read-only", []string{"space"}, []string{"kvm-01"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pressAll(t, base, tt.keys...)
			if got := m.table.Marked(); !slices.Equal(got, tt.marked) && len(got)+len(tt.marked) > 0 {
				t.Fatalf("marked %v, want %v", got, tt.marked)
			}
			if m.filterText != tt.filter || m.zoom != tt.zoom {
				t.Fatalf("filter %q zoom %v, want %q %v", m.filterText, m.zoom, tt.filter, tt.zoom)
			}
			if len(tt.marked) > 0 && !strings.Contains(plain(m), "●") {
				t.Fatalf("no mark drawn:\n%s", plain(m))
			}
		})
	}
}

// openConfirm marks the hosts at the given rows (name order), presses x
// and picks the service at index pick.
func openConfirm(t *testing.T, m Model, marks []int, pick int) Model {
	t.Helper()
	for _, row := range marks {
		m = pressAll(t, m, "g")
		for range row {
			m = pressAll(t, m, "j")
		}
		m = pressAll(t, m, "space")
	}
	m = pressAll(t, m, "x")
	if m.overlay != overlayRestartPick {
		t.Fatalf("x did not open the service picker (note %q)", m.note)
	}
	for range pick {
		m = pressAll(t, m, "j")
	}
	m = pressAll(t, m, "enter")
	if m.overlay != overlayConfirm {
		t.Fatalf("picking a service did not open the confirmation (note %q)", m.note)
	}
	return m
}

func TestRestartFlow(t *testing.T) {
	inv := actionInventory(6)
	setup := func(t *testing.T) (Model, *fakeActions) {
		act := newFakeActions()
		m := mixedFleet(t, newActionModel(t, inv, act, nil, 160, 48), inv)
		return pressAll(t, m, "o"), act // name order: kvm-01..kvm-06
	}
	t.Run("cancel is focused and enter cancels through the audit", func(t *testing.T) {
		m, act := setup(t)
		m = openConfirm(t, m, []int{0, 1, 2}, 0)
		if m.confirm.Focus() != confirm.Cancel {
			t.Fatal("Cancel must have the focus by default")
		}
		m = pressAll(t, m, "enter")
		restarts, refused, _ := act.snapshot()
		if len(restarts) != 0 || m.overlay != overlayNone {
			t.Fatalf("enter on Cancel restarted %v / overlay %v", restarts, m.overlay)
		}
		if len(refused) != 1 || !errors.Is(refused[0].reason, actions.ErrCancelled) ||
			refused[0].action != actions.ActionRestart || !slices.Equal(refused[0].args, []string{"libvirtd"}) ||
			!slices.Equal(refused[0].hosts, []string{"kvm-01", "kvm-02", "kvm-03"}) {
			t.Fatalf("Refuse calls %+v", refused)
		}
		if e := m.log.At(0); e.Action != actions.ActionRestart || e.Failed || !strings.Contains(e.Summary, "cancelled") {
			t.Fatalf("newest event %+v, want a quiet cancellation", e)
		}
	})
	t.Run("esc cancels too", func(t *testing.T) {
		m, act := setup(t)
		m = pressAll(t, openConfirm(t, m, []int{0}, 0), "esc")
		if _, refused, _ := act.snapshot(); len(refused) != 1 || m.overlay != overlayNone {
			t.Fatalf("esc: refused %v overlay %v", refused, m.overlay)
		}
	})
	t.Run("wrong count keeps confirm disabled", func(t *testing.T) {
		m, act := setup(t)
		m = openConfirm(t, m, []int{0, 1, 2}, 1)
		for _, keys := range [][]string{{"tab", "enter"}, {"2", "enter"}, {"backspace", "3", "3", "enter"}} {
			m = pressAll(t, m, keys...)
			if m.confirm.Enabled() || m.overlay != overlayConfirm {
				t.Fatalf("after %v (typed %q): enabled=%v overlay=%v", keys, m.confirm.Typed(), m.confirm.Enabled(), m.overlay)
			}
		}
		if !strings.Contains(plain(m), "type 3 first") {
			t.Fatalf("no hint on a disabled confirm:\n%s", plain(m))
		}
		if restarts, _, _ := act.snapshot(); len(restarts) != 0 {
			t.Fatalf("restart ran with a wrong count: %v", restarts)
		}
	})
	t.Run("right count and confirm restarts the marked hosts", func(t *testing.T) {
		m, act := setup(t)
		act.fail["kvm-03"] = "Job for virtlogd.service failed\x1b[31m"
		m = openConfirm(t, m, []int{0, 1, 2}, 1)
		m = pressAll(t, m, "3", "tab")
		if !m.confirm.Enabled() || m.confirm.Focus() != confirm.Confirm {
			t.Fatal("typing 3 and tab should enable and focus Confirm")
		}
		cmd := m.enterCmd(t)
		m = cmd.model
		for _, n := range []string{"kvm-01", "kvm-02", "kvm-03"} {
			if !m.table.Busy(n) {
				t.Fatalf("%s not shown as restarting while the command runs", n)
			}
		}
		if !strings.Contains(plain(m), "restarting…") || m.table.MarkedCount() != 0 {
			t.Fatalf("rows not busy or marks kept:\n%s", plain(m))
		}
		m = runCmds(t, m, cmd.cmd)
		restarts, _, _ := act.snapshot()
		if len(restarts) != 1 || restarts[0].unit != "virtlogd" ||
			!slices.Equal(restarts[0].hosts, []string{"kvm-01", "kvm-02", "kvm-03"}) {
			t.Fatalf("Restart calls %+v", restarts)
		}
		if m.table.Busy("kvm-01") {
			t.Fatal("busy state outlived the restart")
		}
		got := map[string]bool{}
		for i := range 3 {
			e := m.log.At(i)
			got[e.Host] = e.Failed
			if e.Action != actions.ActionRestart {
				t.Fatalf("event %+v is not a restart", e)
			}
		}
		if got["kvm-01"] || got["kvm-02"] || !got["kvm-03"] {
			t.Fatalf("failed flags %v, want only kvm-03", got)
		}
		if e := m.log.At(1); e.Summary != "restarted virtlogd, hypervisor back OK in 4 s" {
			t.Fatalf("event summary %q", e.Summary)
		}
		out := plain(m)
		for _, want := range []string{"✓ done      restarted virtlogd", "!! 09:26:53 kvm-03",
			"✗ FAILED    restart of virtlogd failed", "restart of virtlogd: 2 back OK, 1 failed"} {
			if !strings.Contains(out, want) {
				t.Errorf("screen lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("one host needs no count", func(t *testing.T) {
		m, act := setup(t)
		m = pressAll(t, openConfirm(t, m, nil, 0), "right")
		m = runCmds(t, m, m.enterCmd(t).cmd)
		if restarts, _, _ := act.snapshot(); len(restarts) != 1 || !slices.Equal(restarts[0].hosts, []string{"kvm-01"}) {
			t.Fatalf("Restart calls %+v", restarts)
		}
	})
	t.Run("picker offers only services every host allows", func(t *testing.T) {
		m, _ := setup(t)
		m = pressAll(t, m, "space", "j", "space", "x")
		out := plain(m)
		if !strings.Contains(out, "virtlogd") || strings.Contains(out, "nginx") {
			t.Fatalf("picker for kvm-01+kvm-02 should offer libvirtd, virtlogd only:\n%s", out)
		}
		m = pressAll(t, m, "esc", "esc", "g", "x")
		if m.table.MarkedCount() != 0 || !strings.Contains(plain(m), "nginx") {
			t.Fatalf("kvm-01 alone should offer nginx:\n%s", plain(m))
		}
	})
}

// cmdResult is a model and the command its last key returned.
type cmdResult struct {
	model Model
	cmd   tea.Cmd
}

func (m Model) enterCmd(t *testing.T) cmdResult {
	t.Helper()
	next, cmd := stepCmd(t, m, keytest.Press("enter"))
	return cmdResult{model: next, cmd: cmd}
}

func TestRestartReadOnly(t *testing.T) {
	inv := actionInventory(3)
	tests := []struct {
		name  string
		opts  func(*Options)
		actRO bool
		war   bool
		note  string
	}{
		{"--read-only", func(o *Options) { o.ReadOnly = true }, false, false, "restart unavailable: read-only"},
		{"action layer read-only", nil, true, false, "restart unavailable: read-only"},
		{"war room", nil, false, true, "restart unavailable: read-only (war room)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			act := newFakeActions()
			act.readOnly = tt.actRO
			m := mixedFleet(t, newActionModel(t, inv, act, tt.opts, 160, 48), inv)
			if tt.war {
				m = pressAll(t, m, "w")
			} else if !strings.Contains(plain(m), "[READ-ONLY]") {
				t.Fatal("no READ-ONLY badge")
			}
			m = pressAll(t, m, "x")
			if m.overlay != overlayNone {
				t.Fatal("x opened a dialog in read-only mode")
			}
			if !strings.Contains(plain(m), tt.note) {
				t.Fatalf("footer lacks %q:\n%s", tt.note, plain(m))
			}
			if restarts, refused, _ := act.snapshot(); len(restarts)+len(refused) != 0 {
				t.Fatalf("action layer called: %v %v", restarts, refused)
			}
			if !tt.war {
				if !strings.Contains(plain(pressAll(t, m, "?")), "restart a service (off: read-only)") {
					t.Fatal("help does not show x as off")
				}
			}
		})
	}
	t.Run("bypassing the UI still meets the action layer's refusal", func(t *testing.T) {
		act := newFakeActions()
		act.readOnly = true
		m := mixedFleet(t, newActionModel(t, inv, act, nil, 160, 48), inv)
		m = runCmds(t, m, restartCmd(t.Context(), act, inv[:1], "libvirtd"))
		e := m.log.At(0)
		if !e.Failed || e.Host != "kvm-01" || !strings.Contains(e.Summary, "read-only mode") {
			t.Fatalf("event %+v, want a highlighted read-only refusal", e)
		}
		if !strings.Contains(plain(m), "!! 09:26:53 kvm-01") {
			t.Fatalf("refusal not shown highlighted:\n%s", plain(m))
		}
	})
}

func TestNoActionLayer(t *testing.T) {
	inv := actionInventory(3)
	m := mixedFleet(t, newActionModel(t, inv, nil, nil, 80, 24), inv)
	for _, tt := range []struct{ key, note string }{
		{"x", "restart unavailable: no action layer"},
		{"l", "journal unavailable: no action layer"},
	} {
		got := pressAll(t, m, tt.key)
		if got.overlay != overlayNone || !strings.Contains(plain(got), tt.note) {
			t.Fatalf("%s: overlay %v, screen:\n%s", tt.key, got.overlay, plain(got))
		}
	}
}

func TestJournalPane(t *testing.T) {
	inv := actionInventory(3)
	inv[0].Units = []string{"libvirtd", "virtlockd"}
	var text strings.Builder
	for i := range 200 {
		text.WriteString("Mar 14 09:00:00 kvm-01 libvirtd[42]: line ")
		text.WriteString(strings.Repeat("x", i%7))
		if i == 198 {
			text.WriteString(" evil\x1b]0;pwned\x07\x1b[2J end")
		}
		text.WriteString("\n")
	}
	act := newFakeActions()
	act.journal = text.String()
	m := mixedFleet(t, newActionModel(t, inv, act, func(o *Options) { o.ReadOnly = true }, 100, 30), inv)
	m = pressAll(t, m, "o", "l")
	if m.overlay != overlayJournalPick {
		t.Fatalf("l should open the unit picker (note %q)", m.note)
	}
	out := plain(m)
	if !strings.Contains(out, "› 1. libvirtd") || !strings.Contains(out, "virtlockd") || !strings.Contains(out, "virtlogd") {
		t.Fatalf("picker should offer units then services, first unit selected:\n%s", out)
	}
	m = pressAll(t, m, "enter")
	if _, _, journals := act.snapshot(); !slices.Equal(journals, []string{"kvm-01/libvirtd"}) {
		t.Fatalf("Journal calls %v", journals)
	}
	raw := m.View().Content
	for _, bad := range []string{"\x1b]0", "\x07", "\x1b[2J"} {
		if strings.Contains(raw, bad) {
			t.Fatalf("journal view contains %q", bad)
		}
	}
	if !strings.Contains(plain(m), "evil]0;pwned[2J end") || !strings.Contains(plain(m), "of 200") {
		t.Fatalf("journal does not open on its newest, cleaned lines:\n%s", plain(m))
	}
	bottom := m.journal.Offset()
	m = pressAll(t, m, "k", "k", "pgup")
	if m.journal.Offset() >= bottom-2 {
		t.Fatalf("k/pgup did not scroll up: %d from %d", m.journal.Offset(), bottom)
	}
	if m = pressAll(t, m, "g"); m.journal.Offset() != 0 || !strings.Contains(plain(m), "lines 1-") {
		t.Fatal("g should go to the first line")
	}
	if m = pressAll(t, m, "G"); m.journal.Offset() != bottom {
		t.Fatal("G should go back to the newest lines")
	}
	if m = pressAll(t, m, "j", "pgdown"); m.journal.Offset() != bottom {
		t.Fatal("scrolling past the end must clamp")
	}
	m = pressAll(t, m, "esc")
	if m.overlay != overlayNone || strings.Contains(plain(m), "Journal libvirtd") {
		t.Fatal("esc should close the journal")
	}
	t.Run("a late answer for a closed pane is dropped", func(t *testing.T) {
		late := step(t, m, journalMsg{gen: m.journalGen - 1, text: "stale"})
		if late.overlay != overlayNone || strings.Contains(plain(late), "stale") {
			t.Fatal("stale journal text shown")
		}
	})
	t.Run("errors show in the pane", func(t *testing.T) {
		act.jerr = errors.New("actions: journal on kvm-02: exit 1: no such unit")
		m := pressAll(t, m, "j", "l", "enter")
		if !strings.Contains(plain(m), "!! journal on kvm-02: exit 1: no such unit") {
			t.Fatalf("error not shown:\n%s", plain(m))
		}
	})
}

// backupSource is a Source that can run the backups check on demand.
type backupSource struct {
	*fakeSource
	backups [][]string
}

func (b *backupSource) RefreshBackups(names ...string) { b.backups = append(b.backups, names) }

func TestBackupsKey(t *testing.T) {
	inv := actionInventory(4)
	t.Run("source without backups", func(t *testing.T) {
		m := pressAll(t, newActionModel(t, inv, nil, nil, 80, 24), "b")
		if !strings.Contains(plain(m), "backup checks not available") {
			t.Fatalf("footer:\n%s", plain(m))
		}
	})
	t.Run("selected then marked", func(t *testing.T) {
		src := &backupSource{fakeSource: newFakeSource(0)}
		m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true}, src)
		m.tick = instantTick
		m = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
		m = pressAll(t, m, "o", "b", "space", "j", "space", "b")
		if len(src.backups) != 2 || !slices.Equal(src.backups[0], []string{"kvm-01"}) ||
			!slices.Equal(src.backups[1], []string{"kvm-01", "kvm-02"}) {
			t.Fatalf("RefreshBackups calls %v", src.backups)
		}
		if !strings.Contains(plain(m), "checking backups on kvm-01, kvm-02") {
			t.Fatalf("footer:\n%s", plain(m))
		}
	})
}

// TestGoldenActions compares the action screens against testdata; see
// TestGoldenView for -update.
func TestGoldenActions(t *testing.T) {
	inv := actionInventory(12)
	tests := []struct {
		name  string
		setup func(*testing.T, Model) Model
	}{
		{"confirm_3_hosts", func(t *testing.T, m Model) Model {
			return pressAll(t, openConfirm(t, m, []int{0, 1, 2}, 0), "2")
		}},
		{"journal_pane", func(t *testing.T, m Model) Model {
			return pressAll(t, m, "l", "enter", "k")
		}},
		{"marked_rows", func(t *testing.T, m Model) Model {
			m.table.SetBusy([]string{"kvm-05"}, "restarting…")
			return pressAll(t, m, "space", "j", "j", "space", "/", "s", "t", "a", "g", "enter", "ctrl+a", "esc")
		}},
	}
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"160x48", 160, 48}} {
		for _, tt := range tests {
			t.Run(tt.name+"_"+size.name, func(t *testing.T) {
				act := newFakeActions()
				act.journal = "Mar 14 09:00:01 kvm-01 systemd[1]: Started libvirtd.service.\n" +
					"Mar 14 09:00:02 kvm-01 libvirtd[42]: libvirt version: 9.0.0\n" +
					"Mar 14 09:00:03 kvm-01 libvirtd[42]: internal error: \x1b[31mno such domain\x1b[0m\n" +
					// a long line wraps under itself, read whole at 80 columns too
					"Mar 14 09:00:04 kvm-01 libvirtd[42]: Unable to read from monitor: Connection reset by peer; " +
					"guest db-main (uuid 6f1c2a4e-93b1-4d0e-b1a2-7c9d2e5f3a10) will be marked crashed, " +
					"see /var/log/libvirt/qemu/db-main.log for the last lines QEMU wrote\n" +
					"Mar 14 09:00:05 kvm-01 systemd[1]: libvirtd.service: Main process exited, code=killed, status=9/KILL\n"
				m := mixedFleet(t, newActionModel(t, inv, act, nil, size.w, size.h), inv)
				m = pressAll(t, m, "o")
				golden.RequireEqual(t, []byte(plain(tt.setup(t, m))))
			})
		}
	}
}

// TestOverlayResize keeps every frame inside the terminal with a dialog or
// the journal open, at any size.
func TestOverlayResize(t *testing.T) {
	inv := actionInventory(8)
	act := newFakeActions()
	act.journal = strings.Repeat("Mar 14 09:00:00 kvm-01 libvirtd[42]: a long journal line that goes on and on\n", 50)
	for _, mode := range []string{"picker", "confirm", "journal"} {
		m := pressAll(t, mixedFleet(t, newActionModel(t, inv, act, nil, 100, 30), inv), "o")
		switch mode {
		case "picker":
			m = pressAll(t, m, "space", "j", "space", "x")
		case "confirm":
			m = openConfirm(t, m, []int{0, 1, 2}, 0)
		case "journal":
			m = pressAll(t, m, "l", "enter")
		}
		for w := 0; w <= 200; w += 17 {
			for h := 0; h <= 60; h += 7 {
				m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
				checkFrame(t, mode, m, w, h)
			}
		}
	}
}
