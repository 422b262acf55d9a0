package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// turn feeds one report that sets a host's status at a time.
func turn(t *testing.T, m Model, i int, st probes.Status, sum string, at time.Time) Model {
	t.Helper()
	inv := m.opts.Hosts
	return step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[i], st, sum, at)}})
}

// The host the operator looked at stays selected, and a zoom stays on its
// host, while reports re-sort the table under it.
func TestSelectionStaysOnChosenHost(t *testing.T) {
	inv := actionInventory(12)
	tests := []struct {
		name string
		keys []string
	}{
		{"zoom", []string{"j", "enter"}},
		{"zoom without moving first", []string{"enter"}},
		{"mark", []string{"space"}},
		{"tab to the host pane", []string{"tab"}},
		{"journal key", []string{"l", "esc"}},
		{"backups key", []string{"b"}},
		{"restart key, dialog cancelled", []string{"x", "esc"}},
		{"details key", []string{"d", "esc"}},
		{"probe key", []string{"r"}},
		{"g does not turn following back on", []string{"j", "g"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mixedFleet(t, newActionModel(t, inv, newFakeActions(), nil, 80, 24), inv)
			m = pressAll(t, m, tt.keys...)
			want := m.current().Name
			for i, st := range []probes.Status{probes.CRIT, probes.OK, probes.CRIT} {
				// hosts turning CRIT sort above the chosen one
				m = turn(t, m, 8+i, st, "libvirtd failed", t0.Add(time.Duration(i)*time.Second))
			}
			m = turn(t, m, 0, probes.CRIT, "libvirtd failed", t0.Add(5*time.Second))
			if got := m.current().Name; got != want {
				t.Fatalf("selection moved from %s to %s", want, got)
			}
			if strings.Contains(plain(m), "following top row") {
				t.Fatal("the title still says the table follows the worst host")
			}
		})
	}
}

func TestFreshConsoleSaysItFollows(t *testing.T) {
	inv := inventory(6)
	m := mixedFleet(t, newTestModel(t, inv, nil, 80, 24), inv)
	if !strings.Contains(plain(m), "following top row") {
		t.Fatalf("a following table does not say so:\n%s", plain(m))
	}
	m = step(t, m, keytest.Press("j"))
	if strings.Contains(plain(m), "following top row") {
		t.Fatal("moving did not end following")
	}
}

func TestCritBannerNamesHostsWhateverTheFilter(t *testing.T) {
	inv := inventory(12)
	m := mixedFleet(t, newTestModel(t, inv, nil, 120, 40), inv)
	m = typeKeys(t, m, "/staging")
	m = step(t, m, keytest.Press("enter"))
	m = turn(t, m, 6, probes.OK, "", t0) // any report refreshes the banner
	banner := strings.Split(plain(m), "\n")[1]
	for _, want := range []string{"2 hosts CRIT", "kvm-03", "kvm-06"} {
		if !strings.Contains(banner, want) {
			t.Fatalf("banner %q lacks %q", banner, want)
		}
	}
}

func TestCtrlCCancelsTheDialog(t *testing.T) {
	inv := actionInventory(6)
	act := newFakeActions()
	m := pressAll(t, mixedFleet(t, newActionModel(t, inv, act, nil, 80, 24), inv), "o")
	for _, keys := range [][]string{{"x", "ctrl+c"}, {"x", "enter", "ctrl+c"}, {"l", "ctrl+c"}} {
		var got Model
		var quit bool
		got = m
		for _, k := range keys {
			next, cmd := stepCmd(t, got, keytest.Press(k))
			for _, c := range flatten(cmd) {
				switch msg := c().(type) {
				case tea.QuitMsg:
					quit = true
				case nil, ageTickMsg:
				default:
					next = step(t, next, msg)
				}
			}
			got = next
		}
		if quit || got.overlay != overlayNone {
			t.Fatalf("%v: quit %v, overlay %v; want the dialog cancelled and the console open", keys, quit, got.overlay)
		}
	}
	_, refused, _ := act.snapshot()
	if len(refused) != 1 {
		t.Fatalf("refusals %v, want the cancelled confirmation audited once", refused)
	}
}

func TestCancelledRestartIsNotDone(t *testing.T) {
	inv := actionInventory(6)
	m := pressAll(t, mixedFleet(t, newActionModel(t, inv, newFakeActions(), nil, 160, 48), inv), "o", "x", "enter", "esc")
	scr := plain(m)
	if !strings.Contains(scr, "- cancelled") || strings.Contains(scr, "✓ done") {
		t.Fatalf("a cancelled restart must read cancelled, never done:\n%s", scr)
	}
	_ = actions.ErrCancelled
}

func TestProgressNoteTurnsIntoResult(t *testing.T) {
	inv := inventory(6)
	src := newFakeSource(8)
	m := mixedFleet(t, newTestModel(t, inv, nil, 120, 40), inv)
	m.src = src
	m = pressAll(t, m, "o", "g", "j", "j", "r") // kvm-03, CRIT
	if !strings.Contains(plain(m), "probing kvm-03 now") {
		t.Fatalf("no progress note:\n%s", plain(m))
	}
	m = turn(t, m, 2, probes.CRIT, "hypervisor not running: libvirtd failed", t0.Add(time.Second))
	if scr := plain(m); !strings.Contains(scr, "probe of kvm-03: ✗ CRIT hypervisor: libvirtd failed") {
		t.Fatalf("the note did not turn into the result:\n%s", scr)
	}
}

func TestASCIIFrameIsASCII(t *testing.T) {
	inv := inventory(6)
	m := mixedFleet(t, newTestModel(t, inv, func(o *Options) {
		o.ASCII, o.DemoBanner = true, "demo · audit: x"
	}, 120, 40), inv)
	m = turn(t, m, 0, probes.WARN, "rtt 191µs · slow…", t0)
	for _, r := range m.View().Content {
		if r > 0x7e && r != 0x7f {
			t.Fatalf("ASCII mode drew %q:\n%s", r, plain(m))
		}
	}
}

func TestTermLinuxSelectsASCII(t *testing.T) {
	if !(Options{}).WithEnv([]string{"TERM=linux", "LANG=en_US.UTF-8"}).ASCII {
		t.Fatal("TERM=linux kept the UTF-8 glyphs")
	}
	if (Options{}).WithEnv([]string{"TERM=xterm-256color", "LANG=en_US.UTF-8"}).ASCII {
		t.Fatal("an xterm got ASCII")
	}
}

// A crashed VM is named wherever the host's cause is shown: the table's
// cause column at 80 columns, the event log and the war-room wall (the
// summary is probes.VMSummary's, as the vms check writes it).
func TestCrashedVMNamedEverywhere(t *testing.T) {
	inv := inventory(6)
	vms := []probes.VM{{Name: "db-main", State: "shutoff", Reason: "crashed", Autostart: true},
		{Name: "web-1", State: "running", Reason: "booted"}}
	st, sum, _ := probes.VMSummary(vms)
	crashed := func(at time.Time) probes.HostReport {
		r := report(inv[1], probes.OK, "", at)
		r.Status, r.VMs = st, vms
		r.Checks = append(r.Checks, probes.Result{Host: inv[1].Name, Check: "vms", Status: st, Summary: sum, Time: at})
		return r
	}
	const want = "VM db-main crashed"
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		m := mixedFleet(t, newTestModel(t, inv, nil, size.w, size.h), inv)
		m = step(t, m, reportsMsg{reports: []probes.HostReport{crashed(t0)}})
		if !strings.Contains(plain(m), "vms: "+want) {
			t.Errorf("%dx%d: the table does not name the VM:\n%s", size.w, size.h, plain(m))
		}
		if ev := m.events.View(); !strings.Contains(ev, want) {
			t.Errorf("%dx%d: the event log does not name the VM:\n%s", size.w, size.h, ev)
		}
		if wall := plain(step(t, m, keytest.Press("w"))); !strings.Contains(wall, want) {
			t.Errorf("%dx%d: the war room does not name the VM:\n%s", size.w, size.h, wall)
		}
	}
}

// At 80 columns the footer offers the host actions (x, l, b) and p, w, and
// a note (a probe's progress, then its result) takes its own line instead
// of replacing the hints.
func TestFooterKeepsHintsWithANote(t *testing.T) {
	inv := actionInventory(6)
	m := mixedFleet(t, newActionModel(t, inv, newFakeActions(), nil, 80, 24), inv)
	m.src = newFakeSource(8)
	m = pressAll(t, m, "o", "g", "j", "j", "r") // kvm-03
	lines := strings.Split(plain(m), "\n")
	footer := lines[len(lines)-1]
	for _, hint := range []string{"x restart", "l journal", "b backups", "p pause", "w war"} {
		if !strings.Contains(footer, hint) {
			t.Errorf("80-column footer %q lacks %q", footer, hint)
		}
	}
	if !strings.Contains(plain(m), "probing kvm-03 now") || strings.Contains(footer, "probing") {
		t.Errorf("the note is not on its own line:\n%s", plain(m))
	}
}

// The host pane shows the cause in words; d shows every line of every
// check, the error chain included, wrapped and scrollable at 80x24; c puts
// that whole text on the clipboard (OSC 52) and says so.
func TestDetailsViewAndCopy(t *testing.T) {
	inv := inventory(6)
	m := mixedFleet(t, newTestModel(t, inv, nil, 80, 24), inv)
	rep := keyMismatch(inv[4], t0.Add(-20*time.Second))
	m = zoomOn(t, step(t, m, reportsMsg{reports: []probes.HostReport{rep}}), "kvm-05")
	if scr := plain(m); !strings.Contains(scr, "host key changed: fix known_hosts:2") || strings.Contains(scr, "sshx:") {
		t.Fatalf("the host pane should lead with the cause in words and keep the chain out:\n%s", scr)
	}
	m = step(t, m, keytest.Press("d"))
	if scr := plain(m); !strings.Contains(scr, "error: probes: host key re-check of kvm-05") {
		t.Fatalf("d does not show the error chain:\n%s", scr)
	}
	if scr := plain(step(t, m, keytest.Press("G"))); !strings.Contains(scr, "VMs (") {
		t.Fatalf("the details view does not scroll to its end:\n%s", scr)
	}
	m, cmd := stepCmd(t, m, keytest.Press("c"))
	if cmd == nil || !strings.Contains(m.note, "details of kvm-05 copied") {
		t.Fatalf("c: note %q", m.note)
	}
	text := m.details.Copy()
	if got, want := cmd(), tea.SetClipboard(text)(); got != want {
		t.Fatalf("clipboard message %#v, want the details text", got)
	}
	if !strings.Contains(text, rep.Checks[0].Err) || !strings.Contains(text, rep.Checks[0].Summary) {
		t.Fatalf("copied text lacks the whole summary and chain:\n%s", text)
	}
}
