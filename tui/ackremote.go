package tui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
	"github.com/hvconsole/hvconsole/tui/ack"
	"github.com/hvconsole/hvconsole/tui/eventlog"
)

// AckRemote is a Source whose acks a collector keeps (an attached
// console, attach.Fleet): a and A ask the collector, which audits the ack,
// silences the host's alerts and tells every viewer; the console shows
// what the collectors say.
type AckRemote interface {
	// AckUpdates delivers every current ack whenever they change.
	AckUpdates() <-chan []wire.Ack
	// Ack and Unack ask the host's collector; a refusal is an error with
	// the collector's reason.
	Ack(ctx context.Context, a wire.Ack) error
	Unack(ctx context.Context, host string) error
}

// remoteAcksMsg carries the collectors' acks.
type remoteAcksMsg struct{ acks []wire.Ack }

// ackSentMsg says how the collector answered an ack or its removal.
type ackSentMsg struct {
	what string
	err  error
}

// remote is the Source's collector acks, or nil.
func (m Model) remote() AckRemote {
	r, _ := m.src.(AckRemote)
	return r
}

// waitRemoteAcksCmd waits for the next list of the collectors' acks.
func waitRemoteAcksCmd(r AckRemote, stop <-chan struct{}) tea.Cmd {
	ch := r.AckUpdates()
	return func() tea.Msg {
		select {
		case list := <-ch:
			return remoteAcksMsg{acks: list}
		case <-stop:
			return nil
		}
	}
}

// sendAcksCmd asks the collectors to make acks.
func sendAcksCmd(ctx context.Context, r AckRemote, acks []ack.Ack) tea.Cmd {
	return func() tea.Msg {
		var errs []error
		for _, a := range acks {
			errs = append(errs, r.Ack(ctx, wire.Ack{Host: a.Host, Owner: a.Owner, Note: a.Note, Expires: a.Expires}))
		}
		return ackSentMsg{what: "ack", err: errors.Join(errs...)}
	}
}

// sendUnackCmd asks the collectors to remove acks.
func sendUnackCmd(ctx context.Context, r AckRemote, hosts []string) tea.Cmd {
	return func() tea.Msg {
		var errs []error
		for _, h := range hosts {
			errs = append(errs, r.Unack(ctx, h))
		}
		return ackSentMsg{what: "ack removal", err: errors.Join(errs...)}
	}
}

// applyAckSent notes the collector's answer; the ack itself shows when
// the collector publishes it.
func (m Model) applyAckSent(msg ackSentMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.note = msg.what + " refused: " + probes.Words(msg.err)
	} else {
		m.note = msg.what + " sent to the collector"
	}
	return m, nil
}

// applyRemoteAcks makes the table's acks the collectors' list: new ones
// are logged as made, vanished ones as ended (the collector knows why).
func (m Model) applyRemoteAcks(msg remoteAcksMsg) (tea.Model, tea.Cmd) {
	now := m.now()
	want := map[string]ack.Ack{}
	for _, w := range msg.acks {
		want[w.Host] = ack.Ack{Host: w.Host, Owner: w.Owner, Note: w.Note, Made: w.Made, Expires: w.Expires}
	}
	var evs []eventlog.Event
	for _, have := range m.table.Acks() {
		if w, ok := want[have.Host]; !ok || !w.Made.Equal(have.Made) {
			m.table.SetAck(have.Host, nil)
			evs = append(evs, eventlog.Event{Time: now, Host: have.Host, Action: ack.Action,
				Summary: "ack by " + have.Owner + " ended at the collector"})
		}
	}
	for _, a := range want {
		if h, ok := m.table.Lookup(a.Host); ok && (h.Ack == nil || !h.Ack.Made.Equal(a.Made)) {
			m.table.SetAck(a.Host, &a)
			evs = append(evs, eventlog.Event{Time: now, Host: a.Host, Action: ack.Action, Summary: a.Full(now)})
		}
	}
	m.table.Settle()
	m.showSelected()
	m.log.Append(evs...)
	m.events.Added(len(evs))
	return m, tea.Batch(waitRemoteAcksCmd(m.remote(), m.stop), m.scheduleTick())
}
