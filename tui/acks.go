package tui

import (
	"os/user"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/ack"
	"github.com/hvconsole/hvconsole/tui/ackform"
	"github.com/hvconsole/hvconsole/tui/confirm"
	"github.com/hvconsole/hvconsole/tui/eventlog"
)

// AckRecorder audits acknowledgements (made, or ended for a reason);
// *actions.Runner satisfies it. An Actions that is one audits the
// console's acks; without one an ack is made unaudited and says so.
type AckRecorder interface {
	RecordAck(host, owner, note string, expires time.Time, ended string) error
}

// ackMadeMsg carries acks whose audit record was written (err nil) or
// could not be (the acks are then not made).
type ackMadeMsg struct {
	acks []ack.Ack
	err  error
}

// ackAuditMsg reports an ack end that could not be audited.
type ackAuditMsg struct{ err error }

// localUser is the default owner of an ack.
func localUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// recorder is the console's ack audit, or nil.
func (m Model) recorder() AckRecorder {
	rec, _ := m.opts.Actions.(AckRecorder)
	return rec
}

// openAck opens the ack form for the marked (or selected) hosts that have
// a problem: an OK host has nothing to acknowledge.
func (m Model) openAck() (Model, tea.Cmd) {
	var names []string
	for _, n := range m.targets() {
		if h, ok := m.table.Lookup(n); ok && h.Reported && h.Status() != probes.OK {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		m.note = "ack: nothing to acknowledge (no problem on the selected hosts)"
		return m, nil
	}
	m.ackForm = ackform.New(m.th, names, m.opts.AckOwner)
	m.overlay = overlayAck
	m.layout()
	return m, nil
}

// afterAckForm audits the new acks in a command once the form is done;
// they are made when the record is written (applyAckMade).
func (m Model) afterAckForm() (Model, tea.Cmd) {
	switch m.ackForm.Outcome() {
	case ackform.Cancelled:
		m.closeOverlay()
		m.note = "ack cancelled"
	case ackform.Done:
		owner, note, d := m.ackForm.Values()
		now := m.now()
		var acks []ack.Ack
		for _, n := range m.ackForm.Hosts() {
			acks = append(acks, ack.New(n, owner, note, now, d))
		}
		m.closeOverlay()
		if r := m.remote(); r != nil {
			m.note = "asking the collector to acknowledge " + hostCount(hostNamesOf(acks))
			return m, sendAcksCmd(m.ctx, r, acks)
		}
		return m, ackCmd(m.recorder(), acks)
	}
	return m, nil
}

// ackCmd writes the acks' audit records off the UI goroutine.
func ackCmd(rec AckRecorder, acks []ack.Ack) tea.Cmd {
	return func() tea.Msg {
		if rec == nil {
			return ackMadeMsg{acks: acks}
		}
		for _, a := range acks {
			if err := rec.RecordAck(a.Host, a.Owner, a.Note, a.Expires, ""); err != nil {
				return ackMadeMsg{acks: acks, err: err}
			}
		}
		return ackMadeMsg{acks: acks}
	}
}

// ackEndCmd audits ended acks; only a failure comes back.
func ackEndCmd(rec AckRecorder, acks []ack.Ack, why string) tea.Cmd {
	if rec == nil || len(acks) == 0 {
		return nil
	}
	return func() tea.Msg {
		for _, a := range acks {
			if err := rec.RecordAck(a.Host, a.Owner, a.Note, a.Expires, why); err != nil {
				return ackAuditMsg{err: err}
			}
		}
		return nil
	}
}

// applyAckMade puts the audited acks on their rows, logs and journals
// them. An ack whose host is OK by now is not made: the problem is gone.
func (m Model) applyAckMade(msg ackMadeMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.note = "ack not made: the audit log refused it: " + probes.Words(msg.err)
		return m, nil
	}
	now := m.now()
	made := 0
	for _, a := range msg.acks {
		if h, ok := m.table.Lookup(a.Host); !ok || h.Status() == probes.OK {
			continue
		}
		m.table.SetAck(a.Host, &a)
		m.log.Append(eventlog.Event{Time: now, Host: a.Host, Action: ack.Action, Summary: a.Full(now)})
		m.journalAck(a, "")
		made++
	}
	m.table.Settle()
	m.showSelected()
	m.events.Added(made)
	m.note = "acknowledged " + confirm.JoinLimited(hostNamesOf(msg.acks), 40, m.th.Glyphs.Ellipsis) +
		" for " + ack.LeftText(msg.acks[0].Left(now))
	if m.recorder() == nil {
		m.note += " (not audited: no audit log here)"
	}
	return m, m.scheduleTick()
}

// removeAcks ends the acks of the marked (or selected) hosts (A).
func (m Model) removeAcks() (Model, tea.Cmd) {
	var ended []ack.Ack
	for _, n := range m.targets() {
		if h, ok := m.table.Lookup(n); ok && h.Ack != nil {
			ended = append(ended, *h.Ack)
		}
	}
	if len(ended) == 0 {
		m.note = "unack: no acknowledged host selected"
		return m, nil
	}
	if r := m.remote(); r != nil {
		m.note = "asking the collector to remove the ack of " + hostCount(hostNamesOf(ended))
		return m, sendUnackCmd(m.ctx, r, hostNamesOf(ended))
	}
	m.endAcks(ended, ack.Removed)
	m.note = "ack removed from " + confirm.JoinLimited(hostNamesOf(ended), 40, m.th.Glyphs.Ellipsis)
	return m, ackEndCmd(m.recorder(), ended, ack.Removed)
}

// sweepAcks ends the acks whose host is OK again or whose expiry passed,
// and returns the command that audits the ends.
func (m *Model) sweepAcks() tea.Cmd {
	if m.remote() != nil {
		return nil // the collector ends its acks and says so
	}
	now := m.now()
	var recovered, expired []ack.Ack
	for _, a := range m.table.Acks() {
		h, _ := m.table.Lookup(a.Host)
		switch {
		case h != nil && h.Reported && h.Status() == probes.OK:
			recovered = append(recovered, a)
		case a.Over(now):
			expired = append(expired, a)
		}
	}
	m.endAcks(recovered, ack.Recovered)
	m.endAcks(expired, ack.Expired)
	return tea.Batch(ackEndCmd(m.recorder(), recovered, ack.Recovered), ackEndCmd(m.recorder(), expired, ack.Expired))
}

// endAcks takes acks off their rows and logs and journals why.
func (m *Model) endAcks(acks []ack.Ack, why string) {
	if len(acks) == 0 {
		return
	}
	now := m.now()
	for _, a := range acks {
		m.table.SetAck(a.Host, nil)
		m.log.Append(eventlog.Event{Time: now, Host: a.Host, Action: ack.Action,
			Summary: "ack by " + a.Owner + " ended: " + why})
		m.journalAck(a, why)
	}
	m.table.Settle()
	m.showSelected()
	m.events.Added(len(acks))
}

// journalAck hands an ack made (why "") or ended to the incident journal;
// the journal queues it and never blocks.
func (m Model) journalAck(a ack.Ack, why string) {
	if m.opts.Journal != nil {
		m.opts.Journal.Ack(incident.Ack{Host: a.Host, Owner: a.Owner, Note: a.Note, Expires: a.Expires, Ended: why})
	}
}

// acked reports whether the named host is acknowledged (its bell is off).
func (m Model) acked(name string) bool {
	h, ok := m.table.Lookup(name)
	return ok && h.Ack != nil
}

func hostNamesOf(acks []ack.Ack) []string {
	out := make([]string, len(acks))
	for i, a := range acks {
		out[i] = a.Host
	}
	return out
}
