package actions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

// Audit names of the VM operations.
const (
	ActionVMStart   = "vm-start"
	ActionVMResume  = "vm-resume"
	ActionVMDestroy = "vm-destroy"
)

// VMAction is the audit name of a VM operation (remote.VMStart, ...).
func VMAction(op string) string { return "vm-" + op }

// VMResult is what a VM operation did to one VM.
type VMResult struct {
	Host, VM, Op string
	// Command is the exact operation (see probes.VMCommand).
	Command string
	// Exit is the Hyper-V script's exit status (-1: none).
	Exit   int
	Stderr string
	// Verified is set when a probe saw the VM in the state the operation
	// aims at (running; shut off for destroy); Final is the last state
	// seen ("" when none could be read).
	Verified bool
	Final    string
	After    time.Duration
	Err      error
	// AuditErr is set when the outcome record could not be written.
	AuditErr error
}

// OK reports whether the operation ran and the VM reached its state.
func (r VMResult) OK() bool { return r.Err == nil && r.Verified }

// Unconfirmed reports an operation whose outcome is not known: the
// request was sent and no answer came, or no probe could read the VM's
// state afterwards.
func (r VMResult) Unconfirmed() bool {
	return errors.Is(r.Err, probes.ErrExitUnknown) || (r.Err == nil && !r.Verified && r.Final == "")
}

// Outcome is the audit word: ok, unknown, failed or not-running.
func (r VMResult) Outcome() string {
	switch {
	case r.OK():
		return "ok"
	case r.Unconfirmed():
		return "unknown"
	case r.Err != nil:
		return "failed"
	}
	return "not-" + targetState(r.Op)
}

// Summary is the one line the event log and the CLI show: each error in
// the operator's words (probes.Words). The audit record keeps the whole
// chain (auditText).
func (r VMResult) Summary() string {
	s := r.summary(probes.Words)
	if r.AuditErr != nil {
		s += "; outcome NOT in the audit log: " + probes.Words(r.AuditErr)
	}
	return s
}

// auditText is the summary with every error whole, for the audit record.
func (r VMResult) auditText() string { return r.summary(error.Error) }

// summary words the result, each error as cause says it.
func (r VMResult) summary(cause func(error) string) string {
	what := r.Op + " of VM " + remote.CleanLine(r.VM)
	var refused *RefusedError
	switch {
	case errors.As(r.Err, &refused):
		return fmt.Sprintf("%s refused: %s", what, cause(refused.Reason))
	case r.OK():
		return fmt.Sprintf("%s: %s in %.0f s", what, targetState(r.Op), r.After.Seconds())
	case errors.Is(r.Err, probes.ErrExitUnknown):
		return fmt.Sprintf("%s: outcome unknown, the request was sent but no answer came (check the VM before retrying): %s", what, cause(r.Err))
	case r.Err != nil && r.Stderr != "":
		return fmt.Sprintf("%s failed: %s: %s", what, cause(r.Err), r.Stderr)
	case r.Err != nil:
		return fmt.Sprintf("%s failed: %s", what, cause(r.Err))
	case r.Final == "":
		return fmt.Sprintf("%s: outcome unknown, the VM's state could not be read for %.0f s", what, r.After.Seconds())
	}
	return fmt.Sprintf("%s: VM not %s after %.0f s: %s", what, targetState(r.Op), r.After.Seconds(), r.Final)
}

// targetState is the state an operation aims at.
func targetState(op string) string {
	if op == remote.VMDestroy {
		return "shutoff"
	}
	return "running"
}

// VM carries out op (remote.VMStart, VMResume, VMDestroy) on each named VM
// of h, in order, then verifies them together: a VM counts as done only
// when a probe sees it in the state the operation aims at. Every VM has its
// own intent and outcome records; a VM refused (read-only, op not in
// vm_actions, a name hvconsole does not pass) does not stop the others.
func (r *Runner) VM(ctx context.Context, h hosts.Host, op string, names []string) []VMResult {
	out := make([]VMResult, len(names))
	ids := make([]string, len(names))
	start := r.opts.Now()
	for i, name := range names {
		out[i], ids[i] = r.vmStart(ctx, h, op, name)
	}
	r.verifyVMs(ctx, h, out)
	for i := range out {
		if ids[i] == "" {
			continue // refused: its record is written
		}
		out[i].After = r.opts.Now().Sub(start)
		rec := Record{ID: ids[i], Phase: PhaseOutcome, SSHUser: h.User, Host: h.Name, Action: VMAction(op),
			Args: []string{out[i].VM}, Command: out[i].Command, Outcome: out[i].Outcome(), Duration: out[i].After.Seconds()}
		if out[i].Exit >= 0 {
			exit := out[i].Exit
			rec.Exit = &exit
		}
		words := ""
		if !out[i].OK() {
			rec.Error, words = out[i].auditText(), out[i].summary(probes.Words)
		}
		out[i].AuditErr = r.recordSaying(rec, words)
	}
	return out
}

// vmStart checks and audits one operation and sends it; id is "" when it
// was refused.
func (r *Runner) vmStart(ctx context.Context, h hosts.Host, op, name string) (VMResult, string) {
	res := VMResult{Host: h.Name, VM: name, Op: op, Exit: -1}
	action, args := VMAction(op), []string{name}
	if err := r.permitVM(h, op, name); err != nil {
		res.Err = r.Refuse([]hosts.Host{h}, action, args, err)[0]
		return res, ""
	}
	cmd, err := probes.VMCommand(h, op, name)
	if err != nil {
		res.Err = r.Refuse([]hosts.Host{h}, action, args, fmt.Errorf("%w: %w", ErrNotAllowed, err))[0]
		return res, ""
	}
	res.Command = cmd
	id := r.nextID()
	intent := Record{ID: id, Phase: PhaseIntent, SSHUser: h.User, Host: h.Name, Action: action, Args: args, Command: cmd}
	if err := r.record(intent); err != nil {
		res.Err = &RefusedError{Host: h.Name, Action: action, Reason: err}
		return res, ""
	}
	cctx, cancel := context.WithTimeout(ctx, r.opts.CommandTimeout)
	defer cancel()
	out, err := r.runVMOp(cctx, h, op, name)
	res.Exit, res.Stderr, res.Err = out.Exit, out.Stderr, err
	return res, id
}

// VMOperator carries out a VM operation over a connection the prober
// shares; *probes.Scheduler is one (see Options.VMs).
type VMOperator interface {
	VMOp(ctx context.Context, h hosts.Host, op, name string) (probes.VMOpResult, error)
}

var _ VMOperator = (*probes.Scheduler)(nil)

// runVMOp sends the operation through Options.VMs, or over a connection
// of its own.
func (r *Runner) runVMOp(ctx context.Context, h hosts.Host, op, name string) (probes.VMOpResult, error) {
	if r.opts.VMs != nil {
		return r.opts.VMs.VMOp(ctx, h, op, name)
	}
	remote, err := r.opts.Transport.Connect(ctx, h)
	if err != nil {
		return probes.VMOpResult{Exit: -1}, fmt.Errorf("connect: %w", err)
	}
	return probes.RunVMOp(ctx, remote, h, op, name)
}

// permitVM is the guard of every VM operation.
func (r *Runner) permitVM(h hosts.Host, op, name string) error {
	switch {
	case r.opts.ReadOnly:
		return ErrReadOnly
	case !h.VMAllowed(op):
		return fmt.Errorf("%w: VM action %q is not in the host's vm_actions", ErrNotAllowed, op)
	case !remote.ValidVMName(name):
		return fmt.Errorf("%w: %s", ErrNotAllowed, remote.VMNameProblem(name))
	}
	return nil
}

// verifyVMs re-probes h until every VM whose operation went out is in its
// target state, or VerifyTimeout passes. A round whose VM list is not
// fresh (the daemon did not answer) confirms nothing.
func (r *Runner) verifyVMs(ctx context.Context, h hosts.Host, res []VMResult) {
	pending := func() bool {
		for _, v := range res {
			if v.Err == nil && !v.Verified {
				return true
			}
		}
		return false
	}
	if !pending() {
		return
	}
	vctx, cancel := context.WithTimeout(ctx, r.opts.VerifyTimeout)
	defer cancel()
	tick := time.NewTicker(r.opts.VerifyEvery)
	defer tick.Stop()
	for {
		if reps := r.opts.Prober.Round(vctx, []hosts.Host{h}); len(reps) == 1 && reps[0].VMsAsOf.IsZero() {
			seeVMs(reps[0], res)
		}
		if !pending() {
			return
		}
		select {
		case <-vctx.Done():
			return
		case <-tick.C:
		}
	}
}

// seeVMs records each pending VM's state from a fresh report.
func seeVMs(rep probes.HostReport, res []VMResult) {
	for i := range res {
		v := &res[i]
		if v.Err != nil || v.Verified {
			continue
		}
		for _, vm := range rep.VMs {
			if vm.Name == v.VM {
				v.Final = vmState(vm)
				v.Verified = vm.State == targetState(v.Op)
			}
		}
	}
}

func vmState(vm probes.VM) string {
	if vm.Reason != "" {
		return vm.State + " (" + vm.Reason + ")"
	}
	return vm.State
}
