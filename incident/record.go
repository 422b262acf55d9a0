package incident

import (
	"time"

	"github.com/hvconsole/hvconsole/probes/actions"
)

// Record kinds.
const (
	KindStatus = "status" // a host's status changed
	KindAck    = "ack"    // an acknowledgement was made or ended
	KindAction = "action" // an action's intent, outcome or refusal
	KindDrill  = "drill"  // a drill's score sheet line
)

// Why an ack ended (Ack.Ended, Record.Ended).
const (
	AckRecovered = "recovered" // the host was OK again
	AckExpired   = "expired"   // its expiry passed
	AckRemoved   = "removed"   // an operator removed it
)

// Record is one line of the journal. Fields a kind does not use are empty.
// Text fields may hold what a host sent (a cause, an error): render them
// through remote.CleanLine (hosts/remote), as every view of this package does.
type Record struct {
	// Time is when this machine recorded it (UTC).
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	Host string    `json:"host"`
	// Source is who wrote it: "console", "serve", "demo".
	Source string `json:"source,omitempty"`

	// KindStatus: the host's status before (empty for the first one seen)
	// and after, the cause, and the host's own time of the change when the
	// report carried it.
	From     string     `json:"from,omitempty"`
	To       string     `json:"to,omitempty"`
	Cause    string     `json:"cause,omitempty"`
	HostTime *time.Time `json:"host_time,omitempty"`

	// KindAck: who, why, until when; Ended says why it ended (empty: made).
	Owner   string     `json:"owner,omitempty"`
	Note    string     `json:"note,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
	Ended   string     `json:"ended,omitempty"`

	// KindAction: the audit record's fields (actions.Record). User is the
	// local user who acted.
	Action  string   `json:"action,omitempty"`
	ID      string   `json:"id,omitempty"`
	Phase   string   `json:"phase,omitempty"`
	Args    []string `json:"args,omitempty"`
	User    string   `json:"user,omitempty"`
	Outcome string   `json:"outcome,omitempty"`
	Error   string   `json:"error,omitempty"`

	// KindDrill: the score line (Note holds the sheet's text).
	Score *int `json:"score,omitempty"`
}

// Ack is an acknowledgement as journaled: made (Ended empty) or ended.
type Ack struct {
	Host, Owner, Note string
	// Expires is when the ack ends by itself (zero: not recorded).
	Expires time.Time
	// Ended is why it ended: AckRecovered, AckExpired, AckRemoved.
	Ended string
}

// record turns an ack into its journal line.
func (a Ack) record() Record {
	rec := Record{Kind: KindAck, Host: a.Host, Owner: a.Owner, Note: a.Note, Ended: a.Ended}
	if !a.Expires.IsZero() {
		exp := a.Expires.UTC()
		rec.Expires = &exp
	}
	return rec
}

// actionRecord turns an audit record into its journal line.
func actionRecord(a actions.Record) Record {
	return Record{Time: a.Time, Kind: KindAction, Host: a.Host, Action: a.Action, ID: a.ID, Phase: a.Phase,
		Args: a.Args, User: a.LocalUser, Outcome: a.Outcome, Error: a.Error}
}
