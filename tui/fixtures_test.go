package tui

import (
	"fmt"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func fixedNow() time.Time { return t0 }

// fakeSource is a Source the test drives: it sends reports on a channel
// and records what the console asked for.
type fakeSource struct {
	ch chan probes.HostReport

	mu        sync.Mutex
	refreshed [][]string
	paused    []bool
	signal    chan struct{}
}

func newFakeSource(buf int) *fakeSource {
	return &fakeSource{ch: make(chan probes.HostReport, buf), signal: make(chan struct{}, 16)}
}

func (f *fakeSource) Updates() <-chan probes.HostReport { return f.ch }

func (f *fakeSource) Refresh(names ...string) {
	f.mu.Lock()
	f.refreshed = append(f.refreshed, names)
	f.mu.Unlock()
	f.signal <- struct{}{}
}

func (f *fakeSource) SetPaused(p bool) {
	f.mu.Lock()
	f.paused = append(f.paused, p)
	f.mu.Unlock()
	f.signal <- struct{}{}
}

func (f *fakeSource) calls() ([][]string, []bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.refreshed...), append([]bool(nil), f.paused...)
}

// inventory returns n hosts named like a small datacenter.
func inventory(n int) []hosts.Host {
	out := make([]hosts.Host, n)
	for i := range out {
		tags := []string{"prod"}
		if i%3 == 1 {
			tags = []string{"staging", "db"}
		}
		out[i] = hosts.Host{
			Name: fmt.Sprintf("kvm-%02d", i+1), Address: fmt.Sprintf("127.77.0.%d", i+1),
			Tags: tags, Hypervisor: hosts.KindLibvirt,
		}
	}
	return out
}

// report builds a host report with ssh, hypervisor and resources checks,
// the resources figures healthy and different per host (see
// healthyResources).
func report(h hosts.Host, status probes.Status, summary string, at time.Time) probes.HostReport {
	hv := probes.Result{Host: h.Name, Check: hosts.CheckHypervisor, Status: status, Summary: summary, Time: at}
	if status == probes.OK {
		hv.Summary = "libvirtd answering"
	}
	rep := probes.HostReport{
		Host: h.Name, Address: h.Address, Tags: h.Tags, Kind: h.Hypervisor,
		Version: "QEMU 7.2.0 / libvirt 9.0.0", Status: status,
		Checks: []probes.Result{
			{Host: h.Name, Check: hosts.CheckSSH, Status: probes.OK, Summary: "connected", Time: at},
			hv,
		},
		VMs: []probes.VM{
			{Name: "web", State: "running", Reason: "booted"},
			{Name: "db", State: "running", Reason: "booted"},
			{Name: "batch", State: "shutoff", Reason: "shutdown"},
		},
		SSHLatency: time.Duration(3+len(h.Name)%5) * time.Millisecond,
		Time:       at,
	}
	withResources(&rep, healthyResources(h.Name), probes.OK, "")
	return rep
}

// newTestModel returns a model sized w x h with the inventory, no colour.
func newTestModel(t testing.TB, inv []hosts.Host, mutate func(*Options), w, h int) Model {
	t.Helper()
	opts := Options{Hosts: inv, Now: fixedNow, NoColor: true, Bell: true}
	if mutate != nil {
		mutate(&opts)
	}
	m := New(opts, nil)
	m.tick = instantTick
	return step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
}

// step runs one Update and returns the concrete model.
func step(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	next, _ := m.Update(msg)
	mm, ok := next.(Model)
	if !ok {
		t.Fatalf("Update returned %T", next)
	}
	return mm
}

// stepCmd is step that also returns the command.
func stepCmd(t testing.TB, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	next, cmd := m.Update(msg)
	return next.(Model), cmd
}

// typeKeys presses each rune of s.
func typeKeys(t testing.TB, m Model, s string) Model {
	t.Helper()
	for _, r := range s {
		m = step(t, m, keytest.Press(string(r)))
	}
	return m
}

// plain is the view without any escape sequence.
func plain(m Model) string { return ansi.Strip(m.View().Content) }

// mixedFleet feeds a fleet where some hosts are CRIT, WARN and UNKNOWN.
func mixedFleet(t testing.TB, m Model, inv []hosts.Host) Model {
	t.Helper()
	var batch []probes.HostReport
	for i, h := range inv {
		st, sum := probes.OK, ""
		switch {
		case i == 2:
			st, sum = probes.CRIT, "hypervisor not running"
		case i == 5:
			st, sum = probes.CRIT, "libvirt call timed out after 10s"
		case i == 3:
			st, sum = probes.WARN, "autostart VM batch not running"
		case i == 7:
			st, sum = probes.UNKNOWN, "garbage output from virsh"
		}
		batch = append(batch, report(h, st, sum, t0.Add(-90*time.Second)))
	}
	return step(t, m, reportsMsg{reports: batch})
}

// instantTick is a tick command that fires at once, so tests can run every
// command a model returns without sleeping.
func instantTick(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return func() tea.Msg { return fn(t0) }
}
