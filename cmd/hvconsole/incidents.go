package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/incident"
)

// incidentsOptions are the flags of `hvconsole incidents`.
type incidentsOptions struct {
	config  string
	journal string
	since   string
	until   string
	hosts   listFlag
	format  string
}

var incidentFormats = []string{"table", "json", "markdown"}

func runIncidentsCommand(ctx context.Context, env *environment, args []string) error {
	opts := incidentsOptions{since: "24h", format: "table"}
	fs := newFlagSet("incidents", env.stderr)
	fs.StringVar(&opts.since, "since", opts.since, "incidents still open at or after this: a duration back from --until (24h) or a time (2026-11-27T02:00:00Z); 0 for all")
	fs.StringVar(&opts.until, "until", "", "the end of the window, a time (default now)")
	fs.Var(&opts.hosts, "host", "only this host (repeatable)")
	fs.StringVar(&opts.format, "format", opts.format, "table, json or markdown (a postmortem skeleton)")
	fs.StringVar(&opts.journal, "journal", "", "the journal file (default: events.jsonl beside --config's audit log, else $XDG_STATE_HOME/hvconsole/events.jsonl)")
	fs.StringVar(&opts.config, "config", "", "config file whose audit_log folder holds the journal")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !slices.Contains(incidentFormats, opts.format) {
		return usageError(fmt.Errorf("--format %q: want table, json or markdown", opts.format))
	}
	until, since, err := incidentWindow(opts.until, opts.since, time.Now())
	if err != nil {
		return usageError(err)
	}
	path := opts.journal
	if path == "" {
		path = incident.DefaultPath(env.getenv)
		if opts.config != "" {
			cfg, err := loadConfig(ctx, env, opts.config)
			if err != nil {
				return err
			}
			path = journalFile(cfg)
		}
	}
	return printIncidents(env, path, opts, since, until)
}

func usageError(err error) error {
	return &exitError{code: exitUnknown, err: fmt.Errorf("%w: incidents: %w", errUsage, err)}
}

// incidentWindow parses --until (a time, default now) and --since (a
// duration back from until, a time, or 0 for no bound).
func incidentWindow(untilFlag, sinceFlag string, now time.Time) (until, since time.Time, err error) {
	until = now
	if untilFlag != "" {
		if until, err = time.Parse(time.RFC3339, untilFlag); err != nil {
			return until, since, fmt.Errorf("--until %q: want a time such as 2026-11-27T02:00:00Z", untilFlag)
		}
	}
	if sinceFlag == "0" {
		return until, time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, sinceFlag); err == nil {
		return until, t, nil
	}
	d, err := parseSince(sinceFlag)
	if err != nil || d <= 0 {
		return until, since, fmt.Errorf("--since %q: want a duration such as 24h or a time such as 2026-11-27T02:00:00Z", sinceFlag)
	}
	return until, until.Add(-d), nil
}

// parseSince is a Go duration, or whole days ("7d").
func parseSince(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}

func printIncidents(env *environment, path string, opts incidentsOptions, since, until time.Time) error {
	d, err := incident.Load(path, incident.DefaultKeep)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	recs := slices.DeleteFunc(d.Records, func(r incident.Record) bool { return r.Time.After(until) })
	rep := incident.NewReport(recs, incident.BuildOptions{Since: since, Hosts: opts.hosts}, until)
	rep.Skipped = d.Skipped
	switch opts.format {
	case "json":
		err = rep.WriteJSON(env.stdout)
	case "markdown":
		err = rep.WriteMarkdown(env.stdout)
	default:
		err = rep.WriteTable(env.stdout)
	}
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	return nil
}
