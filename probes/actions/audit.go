package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// AuditLog appends records to a JSON-lines file opened O_APPEND with mode
// 0600. Every record is fsynced before Write returns, so an intent survives
// a crash of the console during the action it announces.
type AuditLog struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAuditLog opens (creating with its folder) the audit file at path.
func OpenAuditLog(path string) (*AuditLog, error) {
	if path == "" {
		return nil, errors.New("actions: no audit log path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("actions: audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("actions: audit log: %w", err)
	}
	return &AuditLog{f: f}, nil
}

// Path is the file the log writes to.
func (a *AuditLog) Path() string { return a.f.Name() }

// Write appends rec as one line and fsyncs it.
func (a *AuditLog) Write(rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("actions: audit record: %w", err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("actions: audit write: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("actions: audit fsync: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *AuditLog) Close() error { return a.f.Close() }
