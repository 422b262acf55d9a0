package wire

import (
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Ack is an acknowledgement of a host's problem as a collector keeps it:
// POST AckPath (a JSON Ack; Made is set by the collector) makes one,
// DELETE AckPath/{host} removes it, and every viewer gets the current
// acks in the snapshot and in a TypeAcks message whenever they change.
// It is the one write on the attach API, and it changes no host.
type Ack struct {
	Host    string    `json:"host"`
	Owner   string    `json:"owner"`
	Note    string    `json:"note,omitempty"`
	Made    time.Time `json:"made,omitzero"`
	Expires time.Time `json:"expires"`
}

// AckPath is the attach API's ack resource.
const AckPath = "/v1/acks"

// TypeAcks carries every current ack (Message.Acks), after any change.
const TypeAcks = "acks"

// Limits of an ack request: the body, and the text fields in runes.
const (
	MaxAckBody  = 4096
	MaxAckOwner = 64
	MaxAckNote  = 200
	// MaxAckFor is the longest an ack may last.
	MaxAckFor = 7 * 24 * time.Hour
)

// Cleaned returns the ack with its text stripped of control and invisible
// characters (it crossed a process boundary).
func (a Ack) Cleaned() Ack {
	a.Host, a.Owner, a.Note = remote.CleanLine(a.Host), remote.CleanLine(a.Owner), remote.CleanLine(a.Note)
	return a
}
