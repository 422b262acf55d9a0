package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// VM makes fakeActions a VMActor: every VM reaches its state.
func (f *fakeActions) VM(_ context.Context, h hosts.Host, op string, names []string) []actions.VMResult {
	out := make([]actions.VMResult, len(names))
	for i, n := range names {
		out[i] = actions.VMResult{Host: h.Name, VM: n, Op: op, Exit: -1, Verified: true, Final: "running"}
	}
	return out
}

// incidentModel is a console whose memory journal holds a session: kvm-03
// down and back with an ack and a restart, kvm-06 still down with hostile
// text in its cause and in an ack's note.
func incidentModel(t *testing.T, w, h int) Model {
	t.Helper()
	j, err := incident.Open("", incident.Options{Source: "console", Now: func() time.Time { return t0.Add(-20 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	inv := actionInventory(8)
	m := newActionModel(t, inv, newFakeActions(), func(o *Options) { o.Journal = j }, w, h)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	feed := func(i int, st probes.Status, sum string, when time.Time) {
		m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[i], st, sum, when)}})
	}
	for i := range inv {
		feed(i, probes.OK, "", at(-15))
	}
	feed(2, probes.CRIT, "hypervisor not running: libvirtd failed", at(-12))
	exp := at(100)
	j.Append(incident.Record{Time: at(-11), Kind: incident.KindAck, Host: "kvm-03", Owner: "alice", Note: "on it", Expires: &exp})
	j.Append(incident.Record{Time: at(-10), Kind: incident.KindAction, Host: "kvm-03", Action: "restart", ID: "1",
		Phase: actions.PhaseIntent, Args: []string{"libvirtd"}, User: "alice"})
	j.Append(incident.Record{Time: at(-9), Kind: incident.KindAction, Host: "kvm-03", Action: "restart", ID: "1",
		Phase: actions.PhaseOutcome, Args: []string{"libvirtd"}, User: "alice", Outcome: "ok"})
	feed(2, probes.OK, "", at(-9))
	feed(5, probes.CRIT, "vms: VM app\x1b[31m|01\u202e crashed", at(-5))
	j.Append(incident.Record{Time: at(-3), Kind: incident.KindAck, Host: "kvm-06", Owner: "bob\x07", Note: "looking\nnow"})
	return m
}

// TestGoldenIncidentsView is the i view at 80x24 and 120x40: the summary,
// each incident with its times and actions, the journal; text cleaned.
// Regenerate with: go test ./tui -run TestGoldenIncidentsView -update
func TestGoldenIncidentsView(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"120x40", 120, 40}} {
		t.Run(size.name, func(t *testing.T) {
			m := pressAll(t, incidentModel(t, size.w, size.h), "i")
			if m.overlay != overlayIncidents {
				t.Fatalf("i did not open the incidents view")
			}
			out := plain(m)
			for _, bad := range []string{"\x1b[31m", "\u202e", "\x07"} {
				if strings.Contains(out, bad) {
					t.Errorf("view holds %q", bad)
				}
			}
			golden.RequireEqual(t, []byte(out))
			for _, l := range strings.Split(out, "\n") {
				if w := len([]rune(l)); w > size.w {
					t.Errorf("line wider than %d: %q", size.w, l)
				}
			}
			if m = pressAll(t, m, "i"); m.overlay != overlayNone {
				t.Errorf("i again did not close it")
			}
		})
	}
}

// TestGoldenVMActions is the VM picker and the force-off confirmation
// (Cancel focused, the exact operation, the name to type) at 80x24.
// Regenerate with: go test ./tui -run TestGoldenVMActions -update
func TestGoldenVMActions(t *testing.T) {
	inv := actionInventory(4)
	inv[0].VMActions, inv[0].LibvirtURI = remote.VMOps, "qemu:///system"
	act := newFakeActions()
	m := newActionModel(t, inv, act, nil, 80, 24)
	rep := report(inv[0], probes.CRIT, "vms: VM db crashed (autostart)", t0.Add(-time.Minute))
	rep.VMs = []probes.VM{
		{Name: "web", State: "running", Reason: "booted", Autostart: true},
		{Name: "db", State: "shutoff", Reason: "crashed", Autostart: true, Status: probes.CRIT},
		{Name: "cache", State: "shutoff", Reason: "crashed", Autostart: true, Status: probes.CRIT},
		{Name: "batch", State: "paused", Reason: "user"},
	}
	m = step(t, m, reportsMsg{reports: []probes.HostReport{rep}})
	m = pressAll(t, m, "v")
	t.Run("picker", func(t *testing.T) { golden.RequireEqual(t, []byte(plain(m))) })
	// the last line: force batch off
	m = pressAll(t, m, "G", "enter")
	if m.confirm.Focus() != 0 || m.confirm.Enabled() {
		t.Fatalf("force-off confirm: focus %v enabled %v", m.confirm.Focus(), m.confirm.Enabled())
	}
	m = typeKeys(t, m, "bat")
	t.Run("force_off_confirm", func(t *testing.T) { golden.RequireEqual(t, []byte(plain(m))) })
	m = typeKeys(t, m, "ch")
	if !m.confirm.Enabled() {
		t.Fatal("typing the VM's name did not enable Confirm")
	}
}

func TestVMChoices(t *testing.T) {
	h := hosts.Host{Name: "kvm", VMActions: []string{remote.VMStart, remote.VMResume}}
	vms := []probes.VM{
		{Name: "web", State: "running", Autostart: true},
		{Name: "db", State: "shutoff", Reason: "crashed", Autostart: true, Status: probes.CRIT},
		{Name: "old", State: "shutoff", Reason: "shutdown"},
		{Name: "cache", State: "shutoff", Autostart: true, Status: probes.WARN},
		{Name: "batch", State: "paused", Reason: "user"},
		{Name: "bad'name", State: "shutoff"},
	}
	var got []string
	for _, c := range vmChoices(h, vms) {
		got = append(got, c.op+":"+strings.Join(c.vms, ","))
	}
	want := "start:db,cache start:db start:cache start:old resume:batch"
	if strings.Join(got, " ") != want {
		t.Errorf("choices %v, want %s", got, want)
	}
	h.VMActions = nil
	if c := vmChoices(h, vms); len(c) != 0 {
		t.Errorf("no vm_actions: %+v", c)
	}
}
