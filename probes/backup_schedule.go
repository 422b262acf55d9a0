package probes

import (
	"context"
	"sync/atomic"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Verifying a backup hashes or checks a whole file, which may take minutes.
// A one-off round (check, backups) waits for it. Under Run it must never
// hold up the host's probes, or push detection for that host: a worker per
// host runs it and publishes through a refresh, and a round shows the last
// result (none before the first one, rather than a status that means
// nothing).

// backups returns the host's backups check for this round and its
// per-spec outcomes; ok is false under Run before the first result exists.
func (p *hostProbe) backups(ctx context.Context) (Result, []BackupResult, bool) {
	due := p.backupsDue()
	if !p.s.started.Load() {
		if due {
			p.st.storeBackups(runBackups(ctx, p.r, p.h, p.s))
		}
		return p.st.cachedBackupRecord()
	}
	if due {
		select {
		case p.st.backupsKick <- struct{}{}:
		default: // a run is already asked for
		}
	}
	return p.st.cachedBackupRecord()
}

// backupsDue reports whether the backups check must run: never run yet,
// its interval passed, or the operator asked (RefreshBackups).
func (p *hostProbe) backupsDue() bool {
	interval := orDefault(p.h.BackupInterval, defaultBackupInterval)
	forced := p.st.backupsDue.Swap(false)
	last, ok := p.st.cachedBackups()
	return !ok || forced || p.s.now().Sub(last.Time) >= interval
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

// backupsWorker runs the host's backups check whenever a probe finds it
// due, over the host's pooled connection, then asks for a probe so the new
// result is published. It returns when ctx ends.
func (s *Scheduler) backupsWorker(ctx context.Context, h hosts.Host, st *hostState) {
	broken := 0 // runs in a row whose link broke
	for {
		select {
		case <-ctx.Done():
			return
		case <-st.backupsKick:
		}
		cctx, cancel := context.WithTimeout(ctx, connectTimeout(h))
		r, err := s.tr.Connect(cctx, h)
		cancel()
		if err != nil {
			continue // the host's probes report the connection; retried when due again
		}
		w := &linkWatch{Conn: r}
		rec := runBackups(ctx, w, h, s)
		if w.broke.Load() && broken < maxBrokenBackupRuns-1 {
			// the link broke under the run: its failures say nothing
			// about the backups (a host back from an outage would show
			// them UNKNOWN for a whole backup_interval); run again on
			// the next probe's connection. Runs that keep breaking are
			// stored in the end: the check must not hide for good.
			broken++
			st.backupsDue.Store(true)
			continue
		}
		broken = 0
		st.storeBackups(rec)
		s.Refresh(h.Name)
	}
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
