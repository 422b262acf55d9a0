// Package incident keeps the incident journal and reads it back as
// incidents.
//
// The journal is an append-only JSON-lines file, by default
// $XDG_STATE_HOME/hvconsole/events.jsonl (~/.local/state/hvconsole when
// XDG_STATE_HOME is unset; see DefaultPath), written by the console and by
// `hvconsole serve` (each its own; a console attached to a collector keeps
// a memory-only journal, so nothing is written twice). One line is one
// Record: a host's status change (KindStatus), an acknowledgement made or
// ended (KindAck), an action's intent, outcome or refusal (KindAction, the
// audit record as probes/actions wrote it), or a drill's score (KindDrill).
//
// Writing never blocks probing or the UI: Append hands the record to one
// writer goroutine through a bounded queue (a full queue drops the record
// and counts it, see Dropped); the writer takes every record queued, writes
// them in one write and fsyncs once per batch. The file is opened under the
// audit log's rules (probes/actions.AppendFile: no symlink, a regular file
// of ours with one name, mode 0600) and a batch is whole or absent. When
// the file passes Options.MaxBytes it is rotated: events.jsonl.1 is the
// newest old file, up to Options.Keep of them.
//
// The API a caller uses:
//
//	j, err := incident.Open(incident.DefaultPath(os.Getenv), incident.Options{Source: "console"})
//	defer j.Close()                       // flushes and waits for the writer
//	j.Observe(report)                     // every probes.HostReport: journals status changes only
//	j.Ack(incident.Ack{Host: "kvm-01", Owner: "alice", Note: "disk full",
//	        Expires: time.Now().Add(2 * time.Hour)})          // an ack made
//	j.Ack(incident.Ack{Host: "kvm-01", Owner: "alice", Ended: incident.AckRecovered}) // and ended
//	actions.Options{Journal: j.Action}    // every audited action, intent and outcome
//
// Reading: Decode reads one file (a torn or foreign line is skipped and
// counted, never fatal), Load reads the rotated files and the current one
// in order, and Build turns records into Incidents: a host's time from its
// first non-OK status to OK again.
package incident
