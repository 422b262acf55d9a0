package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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

// AuditLog appends records to a JSON-lines file (see openAuditFile for
// what the file must be). Every record is fsynced before Write returns, so
// an intent survives a crash of the console during the action it
// announces, and a record is whole or absent: a write that fails part way
// (a full disk) is cut back off the file.
type AuditLog struct {
	mu sync.Mutex
	f  *os.File
	// broken is why the file may hold a partial record (a failed write
	// could not be cut back): every later Write is refused until the log
	// is reopened, since a record appended to a fragment is unreadable.
	broken error
}

// ErrAuditBroken refuses writes after a partial record could not be removed.
var ErrAuditBroken = errors.New("audit log holds a partial record; reopen it")

// OpenAuditLog opens (creating with its folder) the audit file at path.
func OpenAuditLog(path string) (*AuditLog, error) { return openAuditLog(path, syncDir) }

func openAuditLog(path string, sync func(dir string) error) (*AuditLog, error) {
	if path == "" {
		return nil, errors.New("actions: no audit log path")
	}
	f, err := openAuditFile(path, sync)
	if err != nil {
		return nil, fmt.Errorf("actions: audit log %s: %w", path, err)
	}
	return &AuditLog{f: f}, nil
}

// Path is the file the log writes to.
func (a *AuditLog) Path() string { return a.f.Name() }

// Write appends rec as one line and fsyncs it. The file is locked while it
// writes so that two consoles sharing a log never cut each other's record.
func (a *AuditLog) Write(rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("actions: audit record: %w", err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.broken != nil {
		return fmt.Errorf("actions: audit write: %w: %w", ErrAuditBroken, a.broken)
	}
	unlock, err := lockFile(a.f)
	if err != nil {
		return fmt.Errorf("actions: audit lock: %w", err)
	}
	defer unlock()
	fi, err := a.f.Stat()
	if err != nil {
		return fmt.Errorf("actions: audit write: %w", err)
	}
	if err := a.append(b); err != nil {
		// Not confirmed on disk: cut it back so the next record starts on
		// a line of its own, and make that cut durable too.
		if terr := errors.Join(a.f.Truncate(fi.Size()), a.f.Sync()); terr != nil {
			a.broken = fmt.Errorf("%w (cutting it back: %w)", err, terr)
		}
		return fmt.Errorf("actions: audit write: %w", err)
	}
	return nil
}

// append writes b whole and fsyncs it.
func (a *AuditLog) append(b []byte) error {
	n, err := a.f.Write(b)
	switch {
	case err != nil:
		return err
	case n != len(b):
		return io.ErrShortWrite
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *AuditLog) Close() error { return a.f.Close() }
