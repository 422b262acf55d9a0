package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// drillOptions are the flags of `hvconsole drill`.
type drillOptions struct {
	config   string
	host     string
	backup   string
	level    int
	yes      bool
	readOnly bool
}

func runDrillCommand(ctx context.Context, env *environment, args []string) error {
	opts := drillOptions{level: remote.DrillL1}
	fs := newFlagSet("drill", env.stderr)
	fs.StringVar(&opts.config, "config", "", "config file")
	fs.StringVar(&opts.host, "host", "", "host holding the backup (required)")
	fs.StringVar(&opts.backup, "backup", "", "backup spec name on that host (required)")
	fs.IntVar(&opts.level, "level", remote.DrillL1, "0 integrity, 1 restore into restore_dir, 2 boot (drill = \"boot\" specs)")
	fs.BoolVar(&opts.yes, "yes", false, "do not ask for confirmation")
	fs.BoolVar(&opts.readOnly, "read-only", false, "refuse (for a dry check of the guards)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if opts.host == "" || opts.backup == "" {
		return &exitError{code: exitUnknown, err: fmt.Errorf("%w: drill needs --host and --backup", errUsage)}
	}
	return runDrill(ctx, env, opts)
}

func runDrill(ctx context.Context, env *environment, opts drillOptions) error {
	_, selected, runner, closeAll, err := openActions(ctx, env, opts.config, []string{opts.host}, opts.readOnly)
	if err != nil {
		return err
	}
	defer closeAll()
	h := selected[0]
	args := []string{opts.backup, fmt.Sprintf("L%d", opts.level)}
	if !opts.yes {
		err := onTerminal(env, "run the drill", func(r io.Reader, w io.Writer) error { return confirmDrill(r, w, h, opts) })
		if err != nil {
			runner.Refuse(selected, actions.ActionDrill, args, err)
			return &exitError{code: exitUnknown, err: err}
		}
	}
	res := runner.Drill(ctx, actions.DrillRequest{Host: h, Backup: opts.backup, Level: opts.level,
		Progress: drillPrinter(env)})
	fmt.Fprintf(env.stdout, "%s: %s\n", h.Name, res.Summary())
	switch res.Outcome {
	case probes.DrillPassed:
		return nil
	case probes.DrillFailed:
		return &exitError{code: exitCrit}
	}
	return &exitError{code: exitUnknown}
}

// drillPrinter prints each phase once and the copy's progress at most
// every few seconds, to stderr (stdout carries the result line).
func drillPrinter(env *environment) func(actions.DrillProgress) {
	var mu sync.Mutex
	var last string
	var lastAt time.Time
	return func(p actions.DrillProgress) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case p.Phase != last:
			fmt.Fprintf(env.stderr, "%s: %s\n", p.Host, p.Phase)
		case p.Phase == actions.PhaseCopy && p.Total > 0 && time.Since(lastAt) >= 5*time.Second:
			fmt.Fprintf(env.stderr, "%s: copied %d of %d bytes (%.0f%%)\n", p.Host, p.Bytes, p.Total,
				100*float64(p.Bytes)/float64(p.Total))
		default:
			return
		}
		last, lastAt = p.Phase, time.Now()
	}
}

// confirmDrill writes what the drill does to w and reads "yes" from r.
func confirmDrill(r io.Reader, w io.Writer, h hosts.Host, opts drillOptions) error {
	fmt.Fprint(w, drillPlan(h, opts))
	fmt.Fprint(w, "Type yes to confirm: ")
	return readAnswer(r, "yes")
}

// drillPlan is what the confirmation says a drill will do: the plan's one
// wording (actions.DrillPlan), a step a line.
func drillPlan(h hosts.Host, opts drillOptions) string {
	spec := hosts.Backup{Name: opts.backup} // a name the host lacks is refused by the drill itself
	for _, sp := range h.Backups {
		if sp.Name == opts.backup {
			spec = sp
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Restore drill L%d of backup %q on %s (%s):\n", opts.level, opts.backup, h.Name, h.Address)
	for _, step := range actions.DrillPlan(h, spec, opts.level) {
		fmt.Fprintf(&b, "  - %s\n", step)
	}
	return b.String()
}
