package actions

import (
	"time"
)

// Audit names of acknowledgements. An ack changes no host: it is recorded
// like an action (fsynced, whole or absent) but allowed in read-only mode.
const (
	ActionAck = "ack"
	// PhaseAck records an ack made; PhaseAckEnded its end, with the
	// reason (recovered, expired, removed) as the outcome.
	PhaseAck      = "ack"
	PhaseAckEnded = "ack-ended"
)

// RecordAck writes an acknowledgement to the audit log: made when ended is
// "", else ended for that reason. Args are the owner, the expiry (RFC 3339)
// and the note. Read-only mode does not refuse it: an ack is not a host
// action.
func (r *Runner) RecordAck(host, owner, note string, expires time.Time, ended string) error {
	rec := AckRecord(host, owner, note, expires, ended)
	rec.ID = r.nextID()
	return r.record(rec)
}

// AckRecord is the audit record of an ack made (ended "") or ended, for
// writers of the audit log other than a Runner (serve); Time and LocalUser
// are the writer's.
func AckRecord(host, owner, note string, expires time.Time, ended string) Record {
	rec := Record{Phase: PhaseAck, Host: host, Action: ActionAck,
		Args: []string{owner, expires.UTC().Format(time.RFC3339), note}}
	if ended != "" {
		rec.Phase, rec.Outcome = PhaseAckEnded, ended
	}
	return rec
}
