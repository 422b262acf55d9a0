package probes

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Verifying a backup hashes or checks a whole file, which may take minutes.
// A one-off round (check, backups) waits for it. Under Run it must never
// hold up the host's probes, or push detection for that host: the host's
// prober runs it in a goroutine of its own while it lasts (backupsRun) and
// it publishes through a refresh, and a round shows the last result (none
// before the first one, rather than a status that means nothing). While
// Run is paused it runs only when asked for (RefreshBackups): a paused
// fleet does no periodic work.

// backups returns the host's backups check for this round and its
// per-spec outcomes; ok is false under Run before the first result exists.
func (p *hostProbe) backups(ctx context.Context) (Result, []BackupResult, bool) {
	due, forced := p.backupsDue()
	if !p.s.started.Load() {
		if due {
			p.st.storeBackups(runBackups(ctx, p.r, p.h, p.s))
		}
		return p.st.cachedBackupRecord()
	}
	if due && (forced || !p.s.paused.Load()) {
		select {
		case p.st.backupsKick <- struct{}{}:
		default: // a run is already asked for
		}
	}
	return p.st.cachedBackupRecord()
}

// backupsDue reports whether the backups check must run: never run yet,
// its interval passed, or the operator asked (RefreshBackups: forced).
func (p *hostProbe) backupsDue() (due, forced bool) {
	interval := orDefault(p.h.BackupInterval, defaultBackupInterval)
	forced = p.st.backupsDue.Swap(false)
	last, ok := p.st.cachedBackups()
	return !ok || forced || p.s.now().Sub(last.Time) >= interval, forced
}

// backupRecord is one run of the backups check: the check's result and
// each spec's outcome.
type backupRecord struct {
	res   Result
	specs []BackupResult
}

// runBackups runs the backups check of h's kind over r.
func runBackups(ctx context.Context, r Conn, h hosts.Host, s *Scheduler) backupRecord {
	res, specs := KindOf(h).backups(ctx, r, h, s.now())
	return backupRecord{res: s.withDrills(res, specs, h), specs: specs}
}

// withDrills rates the specs' drill_max_age against the drill records,
// when the scheduler has a drill store.
func (s *Scheduler) withDrills(res Result, specs []BackupResult, h hosts.Host) Result {
	if s.opts.Drills == nil {
		return res
	}
	recs, err := s.opts.Drills.Load()
	if err != nil {
		res.Status = res.Status.Worse(UNKNOWN)
		res.Summary = remote.CleanLine(res.Summary + "; restore drill records unreadable")
		res.Err = remote.Clean(err.Error())
		return res
	}
	return applyDrills(res, specs, h, recs, s.now())
}

func (st *hostState) storeBackups(rec backupRecord) {
	st.backupsMu.Lock()
	st.backups = &rec
	st.backupsMu.Unlock()
}

func (st *hostState) cachedBackups() (Result, bool) {
	res, _, ok := st.cachedBackupRecord()
	return res, ok
}

func (st *hostState) cachedBackupRecord() (Result, []BackupResult, bool) {
	st.backupsMu.Lock()
	defer st.backupsMu.Unlock()
	if st.backups == nil {
		return Result{}, nil, false
	}
	return st.backups.res, st.backups.specs, true
}

// backupsRun is a host's backups check running under Run, at most one at
// a time: the prober starts it when a probe found the check due
// (backupsKick) and waits for it before it returns, so no goroutine per
// host waits in between runs.
type backupsRun struct {
	done   chan int // the run's count of broken runs when it ends; nil while none runs
	broken int      // runs in a row whose link broke
	wg     sync.WaitGroup
}

// kickC is the host's kick while no run is in flight (nil otherwise: a
// kick that comes meanwhile waits in its buffer).
func (b *backupsRun) kickC(st *hostState) <-chan struct{} {
	if b.done != nil {
		return nil
	}
	return st.backupsKick
}

// doneC is ready when the run in flight ends.
func (b *backupsRun) doneC() <-chan int { return b.done }

// start runs the check once in the background.
func (b *backupsRun) start(ctx context.Context, s *Scheduler, h *hosts.Host, st *hostState) {
	done, broken := make(chan int, 1), b.broken
	b.done = done
	b.wg.Go(func() { done <- s.backupsOnce(ctx, *h, st, broken) })
}

// ended takes the count of the run that ended.
func (b *backupsRun) ended(broken int) { b.broken, b.done = broken, nil }

// backupsOnce runs the host's backups check over its pooled connection,
// stores the result and asks for a probe so it is published. broken is the
// count of runs in a row whose link broke; it returns the new count.
func (s *Scheduler) backupsOnce(ctx context.Context, h hosts.Host, st *hostState, broken int) int {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout(h))
	r, err := s.tr.Connect(cctx, h)
	cancel()
	if err != nil {
		return broken // the host's probes report the connection; retried when due again
	}
	w := &linkWatch{Conn: r}
	rec := runBackups(ctx, w, h, s)
	if w.broke.Load() && broken < maxBrokenBackupRuns-1 {
		// the link broke under the run: its failures say nothing about
		// the backups (a host back from an outage would show them
		// UNKNOWN for a whole backup_interval); run again on the next
		// probe's connection. Runs that keep breaking are stored in the
		// end: the check must not hide for good.
		st.backupsDue.Store(true)
		return broken + 1
	}
	st.storeBackups(rec)
	s.Refresh(h.Name)
	return 0
}

// maxBrokenBackupRuns is how many backups runs in a row may break on the
// link before the last one is stored as the check's result.
const maxBrokenBackupRuns = 3

// linkWatch is a Conn that notes an exec that failed in the transport
// (not a deadline, not a command's own failure: those are answers).
type linkWatch struct {
	Conn
	broke atomic.Bool
}

func (w *linkWatch) Exec(ctx context.Context, cmd string) (ExecResult, error) {
	res, err := w.Conn.Exec(ctx, cmd)
	if err != nil && ctx.Err() == nil {
		w.broke.Store(true)
	}
	return res, err
}
