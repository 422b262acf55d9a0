package fleet

import (
	"time"

	"github.com/hvconsole/hvconsole/tui/ack"
)

// SetAck puts a on the named host's row, or takes its ack away (nil). An
// acked row sorts after the unacknowledged problems of its status; call
// Settle after a batch. It reports whether the host is in the table.
func (t *Table) SetAck(name string, a *ack.Ack) bool {
	i, ok := t.index[name]
	if !ok {
		return false
	}
	t.rows[i].Ack = a
	t.moved = append(t.moved, i)
	return true
}

// Acks returns every ack, in inventory order.
func (t Table) Acks() []ack.Ack {
	var out []ack.Ack
	for _, h := range t.rows {
		if h.Ack != nil {
			out = append(out, *h.Ack)
		}
	}
	return out
}

// checkCell is the CHECK column's text: the worst failing check, after
// the ack's short form when the host is acknowledged.
func (h *Host) checkCell(now time.Time) string {
	if h.Ack == nil {
		return h.worst
	}
	return h.Ack.Short(now) + " " + h.worst
}
