// Package actions is the one place where hvconsole changes a host: verified
// service restarts, plus the read-only journal view. It enforces read-only
// mode and the service allow-list itself, whatever the UI shows, and writes
// every attempt to the audit log before it starts and when it ends.
package actions

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// Reasons an action is refused before anything reaches a host.
var (
	ErrReadOnly   = errors.New("read-only mode")
	ErrNotAllowed = errors.New("service not on the host's allow-list")
	ErrCancelled  = errors.New("cancelled by the operator")
	ErrNoAudit    = errors.New("audit log not writable")
)

// RefusedError is returned for an action that was refused; errors.Is
// matches its Reason (ErrReadOnly, ErrNotAllowed, ErrCancelled, ErrNoAudit).
// Its Error is the whole chain, for logs (the audit's refusal record keeps
// the Reason whole); Words is what an operator reads, and what
// probes.Words(err) says of any chain holding it.
type RefusedError struct {
	Host, Action string
	Reason       error
}

// Error is the refusal with the reason's whole chain.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("actions: %s on %s refused: %v", e.Action, e.Host, e.Reason)
}

// Words is the refusal in the operator's words: "restart on h3 refused:
// read-only mode".
func (e *RefusedError) Words() string {
	return e.Action + " on " + e.Host + " refused: " + probes.Words(e.Reason)
}

func (e *RefusedError) Unwrap() error { return e.Reason }

// Prober runs one probe round; the scheduler satisfies it.
type Prober interface {
	Round(ctx context.Context, hs []hosts.Host) []probes.HostReport
}

// BulkRestarts is how many hosts a bulk restart works on at once, in the
// console and the CLI alike (the README states it). It is deliberately not
// configurable: restarting a hypervisor daemon is disruptive, and an
// operator watching a bulk restart should see failures before the whole
// fleet has been hit.
const BulkRestarts = 4

// Options configure a Runner. Transport and Prober are required; Audit is
// required for mutating actions (without it they are refused).
type Options struct {
	ReadOnly  bool
	Audit     *AuditLog
	Transport probes.Transport
	Prober    Prober
	// LocalUser is recorded in the audit log (default: the OS user).
	LocalUser string
	// CommandTimeout bounds the remote restart command (default 60s).
	CommandTimeout time.Duration
	// VerifyTimeout bounds the wait for the hypervisor to be OK again
	// (default 90s); VerifyEvery is the re-probe cadence (default 2s).
	VerifyTimeout, VerifyEvery time.Duration
	Now                        func() time.Time
	// Drills records restore drill outcomes (nil: not recorded);
	// DrillTimeout bounds one drill (default 2h).
	Drills       *probes.DrillStore
	DrillTimeout time.Duration
	// AgentPoll is how often an L2 drill sends guest-ping while the guest
	// boots (default 2s).
	AgentPoll time.Duration
	// VMs, when set, carries out VM operations over the prober's own
	// connections (the scheduler: its libvirt connection is the one the
	// verification reads); nil opens a connection per operation.
	VMs VMOperator
	// Journal, when set, is handed every record once it is in the audit
	// log (the incident journal keeps actions on its timeline), with its
	// Error in the operator's words where the audit has a whole error
	// chain. It must return at once.
	Journal func(Record)
}

// Runner carries out actions. It is safe for concurrent use.
type Runner struct {
	opts Options
	seq  sync.Mutex
	n    int
	// drilling admits one restore drill per host at a time (drill.go).
	drilling drillLocks
}

// New returns a Runner with defaults filled in.
func New(opts Options) *Runner {
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 60 * time.Second
	}
	if opts.VerifyTimeout <= 0 {
		opts.VerifyTimeout = 90 * time.Second
	}
	if opts.VerifyEvery <= 0 {
		opts.VerifyEvery = 2 * time.Second
	}
	if opts.DrillTimeout <= 0 {
		opts.DrillTimeout = 2 * time.Hour
	}
	if opts.AgentPoll <= 0 {
		opts.AgentPoll = defaultAgentPoll
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LocalUser == "" {
		opts.LocalUser = localUser()
	}
	return &Runner{opts: opts}
}

// ReadOnly reports whether mutating actions are refused.
func (r *Runner) ReadOnly() bool { return r.opts.ReadOnly }

func localUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// nextID returns a unique id tying an intent record to its outcome.
func (r *Runner) nextID() string {
	r.seq.Lock()
	defer r.seq.Unlock()
	r.n++
	return fmt.Sprintf("%d-%d", r.opts.Now().UnixNano(), r.n)
}

// record writes rec to the audit log and hands it to the journal.
func (r *Runner) record(rec Record) error { return r.recordSaying(rec, "") }

// recordSaying is record for a record whose Error is a whole error chain:
// the audit keeps the chain; the journal, which the incidents view and
// `hvconsole incidents` show, gets words in its place (when not "").
func (r *Runner) recordSaying(rec Record, words string) error {
	if r.opts.Audit == nil {
		return ErrNoAudit
	}
	rec.Time = r.opts.Now().UTC()
	rec.LocalUser = r.opts.LocalUser
	if err := r.opts.Audit.Write(rec); err != nil {
		return fmt.Errorf("%w: %w", ErrNoAudit, err)
	}
	if r.opts.Journal != nil {
		if words != "" {
			rec.Error = words
		}
		r.opts.Journal(rec)
	}
	return nil
}

// Refuse records that an action was not carried out (the operator cancelled
// the confirmation, say) and returns the matching RefusedError per host.
func (r *Runner) Refuse(hs []hosts.Host, action string, args []string, reason error) []error {
	errs := make([]error, len(hs))
	for i, h := range hs {
		_ = r.recordSaying(Record{ID: r.nextID(), Phase: PhaseRefused, SSHUser: h.User, Host: h.Name,
			Action: action, Args: args, Outcome: "refused", Error: reason.Error()}, probes.Words(reason))
		errs[i] = &RefusedError{Host: h.Name, Action: action, Reason: reason}
	}
	return errs
}
