package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// fakeRemote is an attached console's Source whose acks a collector keeps.
type fakeRemote struct {
	*fakeSource
	acks    chan []wire.Ack
	mu      sync.Mutex
	sent    []wire.Ack
	removed []string
}

func (f *fakeRemote) AckUpdates() <-chan []wire.Ack { return f.acks }

func (f *fakeRemote) Ack(_ context.Context, a wire.Ack) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, a)
	return nil
}

func (f *fakeRemote) Unack(_ context.Context, host string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, host)
	return nil
}

// runCmd runs a command and every command its batch holds, returning
// their messages (ticks excluded).
func runCmd(cmd tea.Cmd) []tea.Msg {
	var out []tea.Msg
	for _, c := range flatten(cmd) {
		if msg := c(); msg != nil {
			if _, tick := msg.(ageTickMsg); !tick {
				out = append(out, msg)
			}
		}
	}
	return out
}

// On an attached console a and A ask the collector; the table shows the
// acks the collector publishes, and drops the ones it ends.
func TestAckOnAttachedConsole(t *testing.T) {
	inv := inventory(2)
	src := &fakeRemote{fakeSource: newFakeSource(0), acks: make(chan []wire.Ack, 1)}
	m := New(Options{Now: fixedNow, NoColor: true, ReadOnly: true, AckOwner: "alice"}, src).withContext(t.Context())
	m.tick = instantTick
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[0], probes.CRIT, "hypervisor not running", t0)}})
	m = pressAll(t, m, "a")
	for _, r := range "disk full" {
		m = step(t, m, keytest.Press(string(r)))
	}
	m, cmd := stepCmd(t, m, keytest.Press("enter"))
	for _, msg := range runCmd(cmd) {
		m = step(t, m, msg)
	}
	if len(src.sent) != 1 || src.sent[0].Host != "kvm-01" || src.sent[0].Owner != "alice" ||
		src.sent[0].Note != "disk full" || !src.sent[0].Expires.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("sent %+v, want kvm-01's ack for 2h", src.sent)
	}
	if h, _ := m.table.Lookup("kvm-01"); h.Ack != nil || !strings.Contains(m.note, "sent to the collector") {
		t.Fatalf("ack %+v before the collector published it (note %q)", h.Ack, m.note)
	}

	published := wire.Ack{Host: "kvm-01", Owner: "alice", Note: "disk full", Made: t0, Expires: t0.Add(2 * time.Hour)}
	m = step(t, m, remoteAcksMsg{acks: []wire.Ack{published}})
	if out := plain(m); !strings.Contains(out, `ACK alice 2h00m left: "disk full"`) {
		t.Fatalf("the collector's ack not shown:\n%s", out)
	}
	m, cmd = stepCmd(t, m, keytest.Press("A"))
	for _, msg := range runCmd(cmd) {
		m = step(t, m, msg)
	}
	if len(src.removed) != 1 || src.removed[0] != "kvm-01" {
		t.Fatalf("removed %v, want kvm-01", src.removed)
	}
	m = step(t, m, remoteAcksMsg{})
	if h, _ := m.table.Lookup("kvm-01"); h.Ack != nil {
		t.Fatalf("ack still shown after the collector ended it: %+v", h.Ack)
	}
	if e := m.log.At(0); !strings.Contains(e.Summary, "ended at the collector") {
		t.Errorf("newest event %+v", e)
	}
}
