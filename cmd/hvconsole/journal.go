package main

import (
	"path/filepath"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/incident"
)

// journalFile is events.jsonl beside the audit log, in the state directory
// ($XDG_STATE_HOME/hvconsole with the default audit_log), as drills.json.
func journalFile(cfg *hosts.Config) string {
	return filepath.Join(filepath.Dir(cfg.AuditLog), "events.jsonl")
}

// ackFile is where serve keeps its acks across restarts: acks.json in the
// same state directory.
func ackFile(cfg *hosts.Config) string {
	return filepath.Join(filepath.Dir(cfg.AuditLog), "acks.json")
}

// openJournal opens f's incident journal, written by source ("console",
// "serve"); fleet.Close closes it. The action runner made after it
// journals every action too.
func (f *fleet) openJournal(cfg *hosts.Config, source string) error {
	j, err := incident.Open(journalFile(cfg), incident.Options{Source: source})
	if err != nil {
		return err
	}
	f.journal = j
	return nil
}

// memoryJournal is an attached console's journal: the collector writes the
// file, so the console keeps this session's records in memory only.
func memoryJournal() *incident.Journal {
	j, _ := incident.Open("", incident.Options{Source: "console"}) // no file: cannot fail
	return j
}
