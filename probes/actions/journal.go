package actions

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

// ActionJournal is the audit name of a journal read.
const ActionJournal = "journal"

// JournalLines is how many journal lines the journal view shows.
const JournalLines = 200

// Journal returns the last JournalLines lines of unit's journal on h,
// stripped of control characters. It reads only, so read-only mode allows
// it; the unit must still be one the host knows (its units or services),
// since it names what the operator may look into. It is audited too.
func (r *Runner) Journal(ctx context.Context, h hosts.Host, unit string) (string, error) {
	if !remote.ValidUnit(unit) || (!h.Allowed(unit) && !slices.Contains(h.Units, unit)) {
		err := r.Refuse([]hosts.Host{h}, ActionJournal, []string{unit}, fmt.Errorf("%w: %q", ErrNotAllowed, unit))[0]
		return "", err
	}
	cmd, err := probes.KindOf(h).JournalCommand(h, unit, JournalLines)
	if err != nil {
		return "", err
	}
	rec := Record{ID: r.nextID(), SSHUser: h.User, Host: h.Name, Action: ActionJournal, Args: []string{unit}, Command: cmd}
	intent := rec
	intent.Phase = PhaseIntent
	_ = r.record(intent) // a read needs no audit to be safe; record it when possible
	start := r.opts.Now()
	text, exit, err := r.read(ctx, h, cmd)
	rec.Phase, rec.Duration = PhaseOutcome, r.opts.Now().Sub(start).Seconds()
	rec.Outcome = "ok"
	if exit >= 0 {
		rec.Exit = &exit
	}
	words := ""
	if err != nil {
		rec.Outcome, rec.Error, words = "failed", err.Error(), probes.Words(err)
	}
	_ = r.recordSaying(rec, words)
	return text, err
}

func (r *Runner) read(ctx context.Context, h hosts.Host, cmd string) (string, int, error) {
	timeout := h.ProbeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := r.opts.Transport.Connect(cctx, h)
	if err != nil {
		return "", -1, fmt.Errorf("actions: journal on %s: connect: %w", h.Name, err)
	}
	out, err := conn.Exec(cctx, cmd)
	if err != nil {
		return "", -1, fmt.Errorf("actions: journal on %s: %w", h.Name, err)
	}
	text := remote.CleanLog(string(out.Stdout))
	if out.ExitCode != 0 {
		return text, out.ExitCode, fmt.Errorf("actions: journal on %s: exit %d: %s", h.Name, out.ExitCode, remote.CleanLine(string(out.Stderr)))
	}
	return text, out.ExitCode, nil
}
