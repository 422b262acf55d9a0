package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	confirmui "github.com/hvconsole/hvconsole/tui/confirm"
)

// restartOptions are the flags of `hvconsole restart`.
type restartOptions struct {
	config   string
	hosts    listFlag
	service  string
	yes      bool
	readOnly bool
}

// errNoTerminal refuses an unconfirmed action when nobody can be asked;
// onTerminal says which --yes would do it.
var errNoTerminal = errors.New("no terminal to confirm on")

func runRestartCommand(ctx context.Context, env *environment, args []string) error {
	var opts restartOptions
	fs := newFlagSet("restart", env.stderr)
	fs.StringVar(&opts.config, "config", "", "config file")
	fs.Var(&opts.hosts, "host", "host to restart on (repeatable, required)")
	fs.StringVar(&opts.service, "service", "", "service unit from the hosts' allow-list (required)")
	fs.BoolVar(&opts.yes, "yes", false, "do not ask for confirmation")
	fs.BoolVar(&opts.readOnly, "read-only", false, "refuse (for a dry check of the guards)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(opts.hosts) == 0 || opts.service == "" {
		return &exitError{code: exitUnknown, err: fmt.Errorf("%w: restart needs --host and --service", errUsage)}
	}
	return runRestart(ctx, env, opts)
}

func runRestart(ctx context.Context, env *environment, opts restartOptions) error {
	cfg, selected, runner, closeAll, err := openActions(ctx, env, opts.config, opts.hosts, opts.readOnly)
	if err != nil {
		return err
	}
	defer closeAll()

	if !opts.yes {
		if err := confirmOnTerminal(env, selected, opts.service); err != nil {
			// the audit says why: the operator said no, or there was no
			// terminal to ask on
			runner.Refuse(selected, actions.ActionRestart, []string{opts.service}, err)
			return &exitError{code: exitUnknown, err: err}
		}
	}
	failed, refused, unaudited := 0, 0, 0
	for _, res := range runner.Restart(ctx, selected, opts.service) {
		if res.AuditErr != nil {
			unaudited++
		}
		var ref *actions.RefusedError
		switch {
		case errors.As(res.Err, &ref):
			refused++
		case !res.OK():
			failed++
		}
		// in words; the audit log has the whole error
		fmt.Fprintf(env.stdout, "%s: %s\n", res.Host, res.Summary())
	}
	if refused == len(selected) {
		return &exitError{code: exitUnknown, err: errors.New("restart refused: nothing was run")}
	}
	var errs []error
	if failed+refused > 0 {
		errs = append(errs, fmt.Errorf("restart: %d of %d hosts did not come back OK", failed+refused, len(selected)))
	}
	if unaudited > 0 {
		errs = append(errs, fmt.Errorf("restart: %d outcome(s) could not be written to the audit log %s", unaudited, cfg.AuditLog))
	}
	if len(errs) > 0 {
		return &exitError{code: exitCrit, err: errors.Join(errs...), whole: true}
	}
	return nil
}

// openActions loads the config, selects the named hosts and opens the
// fleet and the action runner for an action command; closeAll releases
// them (the audit log, then the fleet).
func openActions(ctx context.Context, env *environment, config string, names []string, readOnly bool) (
	cfg *hosts.Config, selected []hosts.Host, runner *actions.Runner, closeAll func(), err error) {
	if cfg, err = loadConfig(ctx, env, config); err != nil {
		return nil, nil, nil, nil, err
	}
	if selected, err = cfg.Select(names, nil); err != nil {
		return nil, nil, nil, nil, &exitError{code: exitUnknown, err: err}
	}
	f, err := openFleet(ctx, env, cfg)
	if err != nil {
		return nil, nil, nil, nil, &exitError{code: exitUnknown, err: err}
	}
	if err = f.openJournal(cfg, "cli"); err != nil {
		f.Close()
		return nil, nil, nil, nil, &exitError{code: exitUnknown, err: err}
	}
	runner, closeAudit, err := newActionRunner(cfg, f, readOnly || cfg.ReadOnly)
	if err != nil {
		f.Close()
		return nil, nil, nil, nil, &exitError{code: exitUnknown, err: err}
	}
	return cfg, selected, runner, func() { closeAudit(); f.Close() }, nil
}

// confirmOnTerminal shows what will run and asks on the controlling
// terminal: the answer is confirmui.Answer's, "yes" for one host, the
// number of hosts for more (the console's rule). Without a terminal it
// refuses.
func confirmOnTerminal(env *environment, hs []hosts.Host, unit string) error {
	return onTerminal(env, "restart", func(r io.Reader, w io.Writer) error { return confirm(r, w, hs, unit) })
}

// onTerminal runs ask with the controlling terminal as its input and
// output; without a terminal it refuses, saying that --yes would do (the
// action, in words: "restart", "run the drill").
func onTerminal(env *environment, doing string, ask func(r io.Reader, w io.Writer) error) error {
	noTerminal := fmt.Errorf("%w; pass --yes to %s without asking", errNoTerminal, doing)
	if env.tty == nil {
		return noTerminal
	}
	tty, err := env.tty()
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		if tty != nil {
			tty.Close()
		}
		return noTerminal
	}
	defer tty.Close()
	return ask(tty, tty)
}

// openTTY opens the controlling terminal (it fails when there is none:
// a cron job, a pipeline, CI).
func openTTY() (*os.File, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }

// confirm writes the plan to w and reads the operator's answer from r. A
// Hyper-V command is followed by the script its -EncodedCommand carries.
func confirm(r io.Reader, w io.Writer, hs []hosts.Host, unit string) error {
	fmt.Fprintf(w, "Restart %s on %d host(s):\n", unit, len(hs))
	for _, h := range hs {
		cmd, err := probes.KindOf(h).RestartCommand(h, unit)
		if err != nil {
			return err // the action layer refuses it too; say so before asking
		}
		printCommand(w, h.Name+" ("+h.Address+")", cmd)
	}
	want := confirmui.Answer(len(hs))
	if want == confirmui.Yes {
		fmt.Fprintf(w, "Type %s to confirm: ", want)
	} else {
		fmt.Fprintf(w, "Type the number of hosts (%s) to confirm: ", want)
	}
	return readAnswer(r, want)
}

// printCommand writes "  what: cmd" and, for a Hyper-V command, the script
// its -EncodedCommand carries under it.
func printCommand(w io.Writer, what, cmd string) {
	fmt.Fprintf(w, "  %s: %s\n", what, cmd)
	label := "script: "
	for _, line := range confirmui.ScriptLines(cmd) {
		fmt.Fprintf(w, "    %8s%s\n", label, line)
		label = ""
	}
}

// readAnswer reads one line and cancels unless it is want.
func readAnswer(r io.Reader, want string) error {
	line, _ := bufio.NewReader(r).ReadString('\n')
	if strings.TrimSpace(line) != want {
		return actions.ErrCancelled
	}
	return nil
}
