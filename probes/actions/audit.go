package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Record is one line of the audit log. An action writes an "intent" record,
// fsynced, before its remote command starts, and an outcome record when it
// ends. Refusals are single records with their reason.
type Record struct {
	Time      time.Time `json:"time"`
	ID        string    `json:"id"` // ties an intent to its outcome
	Phase     string    `json:"phase"`
	LocalUser string    `json:"local_user"`
	SSHUser   string    `json:"ssh_user,omitempty"`
	Host      string    `json:"host"`
	Action    string    `json:"action"`
	Args      []string  `json:"args,omitempty"`
	Command   string    `json:"command,omitempty"`
	Outcome   string    `json:"outcome,omitempty"`
	Exit      *int      `json:"exit_status,omitempty"`
	Duration  float64   `json:"duration_s,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Audit phases.
const (
	PhaseIntent  = "intent"
	PhaseOutcome = "outcome"
	PhaseRefused = "refused"
)

// AuditLog appends records to a JSON-lines file (an AppendFile: see
// openAuditFile for what the file must be). Every record is fsynced before
// Write returns, so an intent survives a crash of the console during the
// action it announces, and a record is whole or absent: a write that fails
// part way (a full disk) is cut back off the file.
type AuditLog struct {
	mu sync.Mutex
	f  *AppendFile
}

// OpenAuditLog opens (creating with its folder) the audit file at path.
func OpenAuditLog(path string) (*AuditLog, error) { return openAuditLog(path, syncDir) }

func openAuditLog(path string, sync func(dir string) error) (*AuditLog, error) {
	if path == "" {
		return nil, errors.New("actions: no audit log path")
	}
	f, err := openAppendFile(path, sync)
	if err != nil {
		return nil, fmt.Errorf("actions: audit log %s: %w", path, err)
	}
	return &AuditLog{f: f}, nil
}

// Path is the file the log writes to.
func (a *AuditLog) Path() string { return a.f.Path() }

// Write appends rec as one line and fsyncs it. The file is locked while it
// writes so that two consoles sharing a log never cut each other's record.
func (a *AuditLog) Write(rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("actions: audit record: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.f.Append(append(b, '\n')); err != nil {
		return fmt.Errorf("actions: audit write: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *AuditLog) Close() error { return a.f.Close() }
