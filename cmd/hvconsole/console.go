package main

import (
	"context"
	"errors"
	"sync"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui"
)

// consoleOptions are the flags of the interactive console.
type consoleOptions struct {
	config   string
	readOnly bool
	warRoom  bool
	ascii    bool
	noColor  bool
	attach   listFlag
}

func runConsoleCommand(ctx context.Context, env *environment, args []string) error {
	var opts consoleOptions
	fs := newFlagSet("", env.stderr)
	fs.StringVar(&opts.config, "config", "", "config file")
	fs.BoolVar(&opts.readOnly, "read-only", false, "refuse every action that changes a host")
	fs.BoolVar(&opts.warRoom, "war-room", false, "start in the war-room grid (implies --read-only)")
	fs.BoolVar(&opts.ascii, "ascii", false, "7-bit glyphs only")
	fs.BoolVar(&opts.noColor, "no-color", false, "no colour (also NO_COLOR=1)")
	fs.Var(&opts.attach, "attach", "follow a collector (`hvconsole serve`) instead of probing: unix:PATH or ssh://[user@]host[:port]/PATH (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(opts.attach) > 0 {
		return runAttachedConsole(ctx, env, opts.attach, opts)
	}
	cfg, err := loadConfig(ctx, env, opts.config)
	if err != nil {
		return err
	}
	return runConsole(ctx, env, cfg, tui.Options{
		ReadOnly: opts.readOnly || opts.warRoom || cfg.ReadOnly,
		WarRoom:  opts.warRoom,
		ASCII:    opts.ascii,
		NoColor:  opts.noColor,
	})
}

// runConsole probes cfg's fleet in the background and shows it until the
// operator quits; it returns after every goroutine it started has ended and
// every connection is closed.
func runConsole(ctx context.Context, env *environment, cfg *hosts.Config, opts tui.Options) error {
	f, err := openFleet(ctx, env, cfg)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	opts.Hosts = cfg.Hosts
	opts.Bell = cfg.Bell
	opts.RunbookURL = cfg.Alerting.RunbookURL
	opts.ReadOnly = opts.ReadOnly || cfg.ReadOnly || opts.WarRoom
	if err := f.openJournal(cfg, "console"); err != nil {
		return errors.Join(&exitError{code: exitUnknown, err: err}, f.Close())
	}
	opts.Journal = f.journal

	runner, closeAudit, err := newActionRunner(cfg, f, opts.ReadOnly)
	if err != nil {
		return errors.Join(&exitError{code: exitUnknown, err: err}, f.Close())
	}
	defer closeAudit()
	opts.Actions = runner

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = f.sched.Run(ctx) })
	err = tui.Run(ctx, opts, f.sched)
	cancel()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil // interrupted by a signal: a clean exit
	}
	return errors.Join(err, f.Close())
}

// newActionRunner opens the audit log and returns the action layer for f.
// Read-only mode is handed to the action layer itself, which refuses every
// mutating action whatever the UI shows.
func newActionRunner(cfg *hosts.Config, f *fleet, readOnly bool) (*actions.Runner, func(), error) {
	audit, err := actions.OpenAuditLog(cfg.AuditLog)
	if err != nil {
		return nil, nil, err
	}
	opts := actions.Options{
		ReadOnly:  readOnly,
		Audit:     audit,
		Transport: f.transport,
		Prober:    f.sched,
		VMs:       f.sched,
		Drills:    f.drills,
	}
	if f.journal != nil {
		opts.Journal = f.journal.Action
	}
	r := actions.New(opts)
	return r, func() { _ = audit.Close() }, nil
}
