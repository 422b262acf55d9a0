package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// listFlag collects a repeatable string flag (--host a --host b).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// checkOptions are the parsed flags of `hvconsole check`.
type checkOptions struct {
	config string
	json   bool
	hosts  listFlag
	tags   listFlag
	// backupsOnly runs only the ssh and backups checks (`hvconsole backups`).
	backupsOnly bool
	// attach answers from these collectors instead of probing.
	attach listFlag
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	full := strings.TrimSpace("hvconsole " + name)
	fs := flag.NewFlagSet(full, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags]\n\nFlags:\n", full)
		fs.PrintDefaults()
		if name == "" {
			fmt.Fprintf(stderr, "\nCommands: %s (hvconsole help)\n", strings.Join(subcommands, ", "))
		}
	}
	return fs
}

// parseFlags parses args and turns any flag error into a usage exit.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return &exitError{code: exitUnknown}
	}
	if fs.NArg() > 0 {
		return &exitError{code: exitUnknown, err: fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))}
	}
	return nil
}

func runCheckCommand(ctx context.Context, env *environment, args []string) error {
	return checkCommand(ctx, env, "check", args, false)
}

// runBackupsCommand is `hvconsole backups`: the backups check alone, with
// check's output formats and exit codes.
func runBackupsCommand(ctx context.Context, env *environment, args []string) error {
	return checkCommand(ctx, env, "backups", args, true)
}

func checkCommand(ctx context.Context, env *environment, name string, args []string, backupsOnly bool) error {
	opts := checkOptions{backupsOnly: backupsOnly}
	fs := newFlagSet(name, env.stderr)
	fs.StringVar(&opts.config, "config", "", "config file")
	fs.BoolVar(&opts.json, "json", false, "print JSON instead of a table")
	fs.Var(&opts.hosts, "host", "only this host (repeatable)")
	fs.Var(&opts.tags, "tag", "only hosts with this tag (repeatable)")
	if !backupsOnly {
		fs.Var(&opts.attach, "attach", "answer from a collector (`hvconsole serve`): unix:PATH or ssh://[user@]host[:port]/PATH (repeatable)")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return runCheck(ctx, env, opts)
}

func runCheck(ctx context.Context, env *environment, opts checkOptions) error {
	if len(opts.attach) > 0 {
		return runCheckAttached(ctx, env, opts)
	}
	cfg, err := loadConfig(ctx, env, opts.config)
	if err != nil {
		return err
	}
	selected, err := cfg.Select(opts.hosts, opts.tags)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	if opts.backupsOnly {
		for i := range selected {
			selected[i].Checks = []string{hosts.CheckSSH, hosts.CheckBackups}
		}
	}
	fleet, err := openFleet(ctx, env, cfg)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	defer fleet.Close()
	return writeCheckResult(env, opts, fleet.sched.Round(ctx, selected))
}

// writeCheckResult prints reports as check does and turns the worst status
// into the exit code.
func writeCheckResult(env *environment, opts checkOptions, reports []probes.HostReport) error {
	var err error
	if opts.json {
		err = writeJSON(env.stdout, time.Now(), reports)
	} else {
		err = writeTable(env.stdout, reports)
	}
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	if code := fleetStatus(reports).ExitCode(); code != exitOK {
		return &exitError{code: code}
	}
	return nil
}
