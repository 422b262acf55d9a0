package actions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"golang.org/x/sync/errgroup"
)

// ActionRestart is the audit name of a service restart.
const ActionRestart = "restart"

// RestartResult is what a restart did on one host.
type RestartResult struct {
	Host    string
	Unit    string
	Command string
	// Exit is the remote exit status (-1 when the command never ran).
	Exit   int
	Stderr string
	// BackOK is set when the hypervisor check was OK again; After is how
	// long that took from the start of the restart.
	BackOK bool
	After  time.Duration
	// Final is the last hypervisor check seen while verifying.
	Final probes.Result
	Err   error
	// AuditErr is set when the outcome record could not be written (the
	// audit log has the intent only); Summary says so.
	AuditErr error
}

// Unconfirmed reports whether the command was sent but its exit status
// never came: the restart may have happened, so it is neither ok nor failed.
func (r RestartResult) Unconfirmed() bool { return errors.Is(r.Err, probes.ErrExitUnknown) }

// OK reports whether the restart ran and the hypervisor came back.
func (r RestartResult) OK() bool { return r.Err == nil && r.BackOK }

// Summary is the one line the event log and the CLI show: each error in
// the operator's words (probes.Words). The audit record keeps the whole
// chain (auditText).
func (r RestartResult) Summary() string {
	s := r.summary(probes.Words)
	if r.AuditErr != nil {
		s += "; outcome NOT in the audit log: " + probes.Words(r.AuditErr)
	}
	return s
}

// auditText is the summary with every error whole, for the audit record.
func (r RestartResult) auditText() string { return r.summary(error.Error) }

// summary words the result, each error as cause says it.
func (r RestartResult) summary(cause func(error) string) string {
	var refused *RefusedError
	switch {
	case errors.As(r.Err, &refused):
		return fmt.Sprintf("restart of %s refused: %s", r.Unit, cause(refused.Reason))
	case r.Unconfirmed():
		return fmt.Sprintf("restart of %s: outcome unknown, the command was sent but no exit status came (check the host before retrying): %s",
			r.Unit, cause(r.Err))
	case r.OK():
		return fmt.Sprintf("restarted %s, hypervisor back OK in %.0f s", r.Unit, r.After.Seconds())
	case r.Err != nil && r.Stderr != "":
		return fmt.Sprintf("restart of %s failed: %s: %s", r.Unit, cause(r.Err), remote.CleanLine(r.Stderr))
	case r.Err != nil:
		return fmt.Sprintf("restart of %s failed: %s", r.Unit, cause(r.Err))
	}
	return fmt.Sprintf("restarted %s, hypervisor not OK after %.0f s: %s", r.Unit, r.After.Seconds(), r.Final.Summary)
}

// Restart restarts unit on every host, at most BulkRestarts at a time. One
// host failing does not stop the others. Results are in input order.
func (r *Runner) Restart(ctx context.Context, hs []hosts.Host, unit string) []RestartResult {
	out := make([]RestartResult, len(hs))
	var g errgroup.Group
	g.SetLimit(BulkRestarts)
	for i, h := range hs {
		g.Go(func() error {
			// a restart still waiting for a slot when ctx ends is not started
			if err := ctx.Err(); err != nil {
				out[i] = RestartResult{Host: h.Name, Unit: unit, Exit: -1, Err: err}
				return nil
			}
			out[i] = r.restartOne(ctx, h, unit)
			return nil
		})
	}
	_ = g.Wait() // restartOne reports in out, never as an error
	return out
}

func (r *Runner) restartOne(ctx context.Context, h hosts.Host, unit string) RestartResult {
	res := RestartResult{Host: h.Name, Unit: unit, Exit: -1}
	args := []string{unit}
	if err := r.permit(h, unit); err != nil {
		res.Err = r.Refuse([]hosts.Host{h}, ActionRestart, args, err)[0]
		return res
	}
	cmd, err := probes.KindOf(h).RestartCommand(h, unit)
	if err != nil {
		res.Err = r.Refuse([]hosts.Host{h}, ActionRestart, args, fmt.Errorf("%w: %w", ErrNotAllowed, err))[0]
		return res
	}
	res.Command = cmd
	id := r.nextID()
	base := Record{ID: id, SSHUser: h.User, Host: h.Name, Action: ActionRestart, Args: args, Command: cmd}
	intent := base
	intent.Phase = PhaseIntent
	if err := r.record(intent); err != nil {
		res.Err = &RefusedError{Host: h.Name, Action: ActionRestart, Reason: err}
		return res
	}
	start := r.opts.Now()
	r.runRestart(ctx, h, &res)
	if res.Err == nil {
		r.verify(ctx, h, start, &res)
	}
	res.After = r.opts.Now().Sub(start)
	outcome := base
	outcome.Phase = PhaseOutcome
	outcome.Outcome = outcomeWord(res)
	outcome.Duration = res.After.Seconds()
	if res.Exit >= 0 {
		exit := res.Exit
		outcome.Exit = &exit
	}
	words := ""
	if !res.OK() {
		outcome.Error, words = res.auditText(), res.summary(probes.Words)
	}
	res.AuditErr = r.recordSaying(outcome, words)
	return res
}

func outcomeWord(res RestartResult) string {
	switch {
	case res.OK():
		return "ok"
	case res.Unconfirmed():
		return "unknown"
	case res.Err != nil:
		return "failed"
	}
	return "not-recovered"
}

// permit is the guard every mutating action passes first.
func (r *Runner) permit(h hosts.Host, unit string) error {
	if r.opts.ReadOnly {
		return ErrReadOnly
	}
	if !remote.ValidUnit(unit) || !h.Allowed(unit) {
		return fmt.Errorf("%w: %q", ErrNotAllowed, unit)
	}
	return nil
}

// ErrRemoteFailed marks a restart command that ran and exited non-zero.
var ErrRemoteFailed = errors.New("remote command failed")

func (r *Runner) runRestart(ctx context.Context, h hosts.Host, res *RestartResult) {
	cctx, cancel := context.WithTimeout(ctx, r.opts.CommandTimeout)
	defer cancel()
	conn, err := r.opts.Transport.Connect(cctx, h)
	if err != nil {
		res.Err = fmt.Errorf("connect: %w", err)
		return
	}
	out, err := conn.Exec(cctx, res.Command)
	res.Stderr = strings.TrimSpace(remote.Clean(string(out.Stderr)))
	if err != nil {
		res.Err = fmt.Errorf("exec: %w", err)
		return
	}
	res.Exit = out.ExitCode
	if out.ExitCode != 0 {
		res.Err = fmt.Errorf("%w: exit status %d", ErrRemoteFailed, out.ExitCode)
	}
}

// verify re-probes the host until its hypervisor check is OK again or
// VerifyTimeout passes. The cadence is a ticker, not a test synchroniser:
// it paces load on a host that is coming back up.
func (r *Runner) verify(ctx context.Context, h hosts.Host, start time.Time, res *RestartResult) {
	vctx, cancel := context.WithTimeout(ctx, r.opts.VerifyTimeout)
	defer cancel()
	tick := time.NewTicker(r.opts.VerifyEvery)
	defer tick.Stop()
	for {
		reps := r.opts.Prober.Round(vctx, []hosts.Host{h})
		if len(reps) == 1 {
			if hv, ok := reps[0].Check(hosts.CheckHypervisor); ok {
				res.Final = hv
				if hv.Status == probes.OK {
					res.BackOK = true
					return
				}
			}
		}
		select {
		case <-vctx.Done():
			return
		case <-tick.C:
		}
	}
}
