package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// vmOptions are the flags of `hvconsole vm OP`.
type vmOptions struct {
	config   string
	host     string
	vms      listFlag
	yes      bool
	readOnly bool
}

func runVMCommand(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || !slices.Contains(remote.VMOps, args[0]) {
		return &exitError{code: exitUnknown, err: fmt.Errorf("%w: vm needs an operation: %s", errUsage, strings.Join(remote.VMOps, ", "))}
	}
	op := args[0]
	var opts vmOptions
	fs := newFlagSet("vm "+op, env.stderr)
	fs.StringVar(&opts.config, "config", "", "config file")
	fs.StringVar(&opts.host, "host", "", "the host of the VMs (required)")
	fs.Var(&opts.vms, "vm", "a VM on the host (repeatable, required)")
	fs.BoolVar(&opts.yes, "yes", false, "do not ask for confirmation")
	fs.BoolVar(&opts.readOnly, "read-only", false, "refuse (for a dry check of the guards)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if opts.host == "" || len(opts.vms) == 0 {
		return &exitError{code: exitUnknown, err: fmt.Errorf("%w: vm %s needs --host and --vm", errUsage, op)}
	}
	return runVM(ctx, env, op, opts)
}

func runVM(ctx context.Context, env *environment, op string, opts vmOptions) error {
	cfg, selected, runner, closeAll, err := openActions(ctx, env, opts.config, []string{opts.host}, opts.readOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	h := selected[0]
	if !opts.yes {
		err := onTerminal(env, op+" the VMs", func(r io.Reader, w io.Writer) error { return confirmVM(r, w, h, op, opts.vms) })
		if err != nil {
			for _, vm := range opts.vms {
				runner.Refuse(selected, actions.VMAction(op), []string{vm}, err)
			}
			return &exitError{code: exitUnknown, err: err}
		}
	}
	failed, refused, unaudited := 0, 0, 0
	for _, res := range runner.VM(ctx, h, op, opts.vms) {
		var ref *actions.RefusedError
		switch {
		case errors.As(res.Err, &ref):
			refused++ // no audit error: a refusal is audited before it is returned
		case !res.OK():
			failed++
		}
		if res.AuditErr != nil {
			unaudited++
		}
		fmt.Fprintf(env.stdout, "%s: %s\n", h.Name, res.Summary())
	}
	if refused == len(opts.vms) {
		return &exitError{code: exitUnknown, err: fmt.Errorf("vm %s refused: nothing was run", op)}
	}
	var errs []error
	if failed+refused > 0 {
		errs = append(errs, fmt.Errorf("vm %s: %d of %d VMs not %s", op, failed+refused, len(opts.vms), vmTarget(op)))
	}
	if unaudited > 0 {
		errs = append(errs, fmt.Errorf("vm %s: %d outcome(s) could not be written to the audit log %s", op, unaudited, cfg.AuditLog))
	}
	if len(errs) > 0 {
		return &exitError{code: exitCrit, err: errors.Join(errs...), whole: true}
	}
	return nil
}

func vmTarget(op string) string {
	if op == remote.VMDestroy {
		return "shut off"
	}
	return "running"
}

// confirmVM writes the plan to w and reads the answer from r: "yes" for
// start and resume; for destroy, the stronger confirmation, the VMs' names
// as listed.
func confirmVM(r io.Reader, w io.Writer, h hosts.Host, op string, vms []string) error {
	fmt.Fprintf(w, "%s %d VM(s) on %s (%s):\n", strings.ToUpper(op[:1])+op[1:], len(vms), h.Name, h.Address)
	for _, vm := range vms {
		cmd, err := probes.VMCommand(h, op, vm)
		if err != nil {
			return err // the action layer refuses it too; say so before asking
		}
		printCommand(w, remote.CleanLine(vm), cmd)
	}
	want := "yes"
	if op == remote.VMDestroy {
		want = strings.Join(vms, " ")
		fmt.Fprintf(w, "This forces the VM(s) off like pulling the power. Type the name(s) (%s) to confirm: ", want)
	} else {
		fmt.Fprint(w, "Type yes to confirm: ")
	}
	return readAnswer(r, want)
}
