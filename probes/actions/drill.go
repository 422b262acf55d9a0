package actions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

// ActionDrill is the audit name of a restore drill.
const ActionDrill = "drill"

// Reasons a drill is refused.
var (
	ErrNoSuchBackup = errors.New("no backup spec of that name on the host")
	ErrDrillBusy    = errors.New("a drill is already running on the host")
	ErrDrillLevel   = errors.New("drill level not available")
)

// Drill phases reported to DrillRequest.Progress.
const (
	PhaseList    = "list"
	PhaseCopy    = "copy"
	PhaseVerify  = "verify"
	PhaseCleanup = "cleanup"
	PhaseDone    = "done"
)

// DrillProgress is one progress report of a running drill.
type DrillProgress struct {
	Host, Spec, Phase string
	// Bytes copied so far, of Total (L1).
	Bytes, Total int64
}

// DrillRequest asks for one drill.
type DrillRequest struct {
	Host   hosts.Host
	Backup string // the spec's name: the allow-list is the host's specs
	Level  int    // remote.DrillL0, DrillL1 or DrillL2 (drill = "boot" specs, KVM hosts)
	// Progress, when set, is called from the drill's goroutine with each
	// phase and, while copying, the bytes copied about once a second.
	Progress func(DrillProgress)
}

// drillLocks admits one drill per host at a time.
type drillLocks struct {
	mu   sync.Mutex
	busy map[string]bool
}

func (l *drillLocks) take(host string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy[host] {
		return false
	}
	if l.busy == nil {
		l.busy = map[string]bool{}
	}
	l.busy[host] = true
	return true
}

func (l *drillLocks) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.busy, host)
}

// drillProgressEvery is how often a running copy's size is read.
const drillProgressEvery = time.Second

// cleanupTimeout bounds the clean-up command sent after a drill that did
// not end by itself.
const cleanupTimeout = 15 * time.Second

// Drill runs one restore drill (README, "Restore drills"): L0 verifies the
// spec's newest backup where it lies; L1 copies it into restore_dir,
// verifies the copy and deletes it; L2 restores as L1 does, then boots the
// copy through a qcow2 overlay in a transient domain without network and
// passes when its guest agent answers (drill_boot.go). It is refused in read-only mode, for a
// spec the host does not have, for a level the spec does not allow, and
// while another drill runs on the host. It is audited like every action
// (intent before, outcome after). Cancelling ctx stops it; the scratch
// copy is removed by the remote script itself when its session goes, and
// by a clean-up command sent afterwards.
func (r *Runner) Drill(ctx context.Context, req DrillRequest) probes.DrillResult {
	h := req.Host
	res := probes.DrillResult{Host: h.Name, Spec: req.Backup, Level: req.Level, Outcome: probes.DrillUnknown}
	args := []string{req.Backup, "L" + strconv.Itoa(req.Level)}
	spec, err := r.permitDrill(h, req)
	if err == nil && !r.drilling.take(h.Name) {
		err = ErrDrillBusy
	}
	if err != nil {
		r.Refuse([]hosts.Host{h}, ActionDrill, args, err)
		res.Outcome, res.Reason = "refused", probes.Words(err)
		return res
	}
	defer r.drilling.release(h.Name)
	progress := func(phase string, bytes, total int64) {
		if req.Progress != nil {
			req.Progress(DrillProgress{Host: h.Name, Spec: req.Backup, Phase: phase, Bytes: bytes, Total: total})
		}
	}
	dctx, cancel := context.WithTimeout(ctx, r.opts.DrillTimeout)
	defer cancel()
	res.Started = r.opts.Now()
	progress(PhaseList, 0, 0)
	d, ok := r.prepareDrill(dctx, h, spec, args, &res)
	if !ok {
		return res
	}
	return r.runPrepared(ctx, dctx, d, &res, progress)
}

// preparedDrill is a drill ready to run: everything Drill found and built
// before the audit's intent record.
type preparedDrill struct {
	h    hosts.Host
	spec hosts.Backup
	conn probes.Conn
	ops  drillOps
	ds   remote.DrillSpec
	cmd  string
	base Record
	boot *bootRun // L2 only
}

// prepareDrill connects, checks KVM for L2, finds the newest backup, builds
// the script and writes the intent record. When it returns false, res says
// why (a refusal, or a spec without a backup file) and nothing was started.
func (r *Runner) prepareDrill(ctx context.Context, h hosts.Host, spec hosts.Backup, args []string, res *probes.DrillResult) (preparedDrill, bool) {
	d := preparedDrill{h: h, spec: spec, ops: drillOpsFor(h)}
	conn, err := r.opts.Transport.Connect(ctx, h)
	if err == nil && res.Level == remote.DrillL2 {
		if d.boot, err = r.prepareBoot(ctx, conn, h, spec); err != nil {
			r.Refuse([]hosts.Host{h}, ActionDrill, args, err)
			res.Outcome, res.Reason = "refused", probes.Words(err)
			return d, false
		}
		args = append(args, "domain="+d.boot.domain)
	}
	d.conn = conn
	if err == nil {
		res.File, res.Size, err = d.ops.newest(ctx, conn, h, spec)
	}
	if err != nil {
		err = fmt.Errorf("cannot find the newest backup: %w", err)
		res.Reason = probes.Words(err)
		if errors.Is(err, probes.ErrNoBackupFile) {
			res.Outcome = probes.DrillFailed
		}
		// Nothing was started on the host: audited as not carried out.
		r.Refuse([]hosts.Host{h}, ActionDrill, args, err)
		d.closeBoot()
		res.Ended = r.opts.Now()
		r.recordDrill(res)
		return d, false
	}
	d.ds = r.drillSpec(h, spec, *res, d.ops)
	d.cmd, err = d.ops.command(d.ds)
	d.base = Record{ID: d.ds.ID, SSHUser: h.User, Host: h.Name, Action: ActionDrill, Args: append(args, res.File), Command: d.cmd}
	if err != nil {
		err = fmt.Errorf("cannot build the drill command: %w", err)
		r.Refuse([]hosts.Host{h}, ActionDrill, args, err)
	} else {
		intent := d.base
		intent.Phase = PhaseIntent
		err = r.record(intent) // no intent, no drill: refused (ErrNoAudit)
	}
	if err != nil {
		d.closeBoot()
		res.Outcome, res.Reason = "refused", probes.Words(err)
		return d, false
	}
	return d, true
}

// closeBoot closes an L2 drill's libvirt connection before its boot.
func (d preparedDrill) closeBoot() {
	if d.boot != nil {
		d.boot.drill.Close()
	}
}

// runPrepared runs the drill's script (under dctx), for L2 the boot (under
// ctx and its own deadlines), then cleans up and finishes the records. res
// says every error in words; the audit record gets them whole.
func (r *Runner) runPrepared(ctx, dctx context.Context, d preparedDrill, res *probes.DrillResult,
	progress func(string, int64, int64)) probes.DrillResult {
	out, exit, runErr := r.runDrill(dctx, d.conn, d.cmd, d.ds, d.ops.poll, res.Size, progress)
	res.Ended = r.opts.Now()
	var whole []error
	switch {
	case ctx.Err() != nil:
		res.Outcome, res.Reason = probes.DrillCancelled, "cancelled by the operator"
	case runErr != nil:
		res.Outcome, res.Reason = probes.DrillUnknown, "the SSH session ended before the drill did"
		res.Notes = append(res.Notes, probes.Words(runErr))
		whole = append(whole, runErr)
	default:
		d.ops.finish(res, out, d.spec, d.ds)
	}
	if d.boot != nil && res.Outcome == probes.DrillPassed {
		whole = append(whole, r.boot(ctx, d.conn, d.h, d.spec, d.ds, d.boot, res, progress))
		res.Ended = r.opts.Now()
	}
	if d.ds.Level == remote.DrillL2 || (d.ds.Level == remote.DrillL1 && (runErr != nil || ctx.Err() != nil)) {
		progress(PhaseCleanup, 0, 0)
		if d.boot != nil {
			whole = append(whole, r.finishBoot(ctx, d.h, d.conn, d.boot, res))
		}
		if err := r.cleanupDrill(ctx, d.h, d.conn, d.ops, d.ds); err != nil {
			err = fmt.Errorf("%s may remain: %w", d.ops.scratch(d.ds.RestoreDir, d.ds.ID), err)
			res.Notes = append(res.Notes, "scratch copy NOT confirmed removed: "+probes.Words(err))
			whole = append(whole, err)
		}
	}
	progress(PhaseDone, 0, 0)
	return r.finishDrill(*res, d.base, &exit, whole)
}

// permitDrill is the drill's guard: read-only, the spec, the level.
func (r *Runner) permitDrill(h hosts.Host, req DrillRequest) (hosts.Backup, error) {
	if r.opts.ReadOnly {
		return hosts.Backup{}, ErrReadOnly
	}
	for _, b := range h.Backups {
		if b.Name != req.Backup {
			continue
		}
		switch {
		case req.Level == remote.DrillL2 && b.Drill != hosts.DrillBoot:
			return b, fmt.Errorf("%w: L2 needs drill = \"boot\" in the spec", ErrDrillLevel)
		case req.Level == remote.DrillL2 && h.Hypervisor == hosts.KindHyperV:
			return b, fmt.Errorf("%w: the L2 boot drill runs on libvirt hosts only", ErrDrillLevel)
		case req.Level < remote.DrillL0 || req.Level > remote.DrillL2:
			return b, fmt.Errorf("%w: level %d", ErrDrillLevel, req.Level)
		}
		return b, nil
	}
	return hosts.Backup{}, fmt.Errorf("%w: %q", ErrNoSuchBackup, req.Backup)
}

func (r *Runner) drillSpec(h hosts.Host, spec hosts.Backup, res probes.DrillResult, ops drillOps) remote.DrillSpec {
	return remote.DrillSpec{
		ID: r.nextID(), File: res.File, Level: res.Level, RestoreDir: ops.dir(h), RateMiB: h.DrillRateMiB,
		QCOW2:       spec.Verify == remote.VerifyQemuImg || strings.HasSuffix(res.File, ".qcow2"),
		ToolTimeout: r.opts.DrillTimeout.Truncate(time.Second),
	}
}

// runDrill runs the drill script and, for L1, reads the copy's size about
// once a second while it runs.
func (r *Runner) runDrill(ctx context.Context, conn probes.Conn, cmd string, ds remote.DrillSpec, poll bool, total int64,
	progress func(string, int64, int64)) (string, int, error) {
	type done struct {
		out probes.ExecResult
		err error
	}
	ch := make(chan done, 1)
	go func() {
		out, err := conn.Exec(ctx, cmd)
		ch <- done{out, err}
	}()
	phase := PhaseVerify
	if ds.Level >= remote.DrillL1 {
		phase = PhaseCopy
	}
	progress(phase, 0, total)
	tick := time.NewTicker(drillProgressEvery)
	defer tick.Stop()
	for {
		select {
		case d := <-ch:
			return string(d.out.Stdout), d.out.ExitCode, d.err
		case <-tick.C:
			if ds.Level < remote.DrillL1 || !poll {
				continue
			}
			if n, ok := drillCopied(ctx, conn, ds); ok {
				progress(phase, n, total)
				if n >= total {
					phase = PhaseVerify
				}
			}
		}
	}
}

// drillCopied reads how many bytes the scratch copy holds.
func drillCopied(ctx context.Context, conn probes.Conn, ds remote.DrillSpec) (int64, bool) {
	cmd, err := remote.DrillProgressCommand(ds.RestoreDir, ds.ID)
	if err != nil {
		return 0, false
	}
	pctx, cancel := context.WithTimeout(ctx, drillProgressEvery)
	defer cancel()
	out, err := conn.Exec(pctx, cmd)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out.Stdout)), 10, 64)
	return n, err == nil && n >= 0
}

// cleanupDrill removes the scratch folder, under its own deadline (the
// drill's context may be what was cancelled): over the drill's connection,
// else over a fresh one (the old one may be what died).
func (r *Runner) cleanupDrill(ctx context.Context, h hosts.Host, conn probes.Conn, ops drillOps, ds remote.DrillSpec) error {
	cmd, err := ops.cleanup(ds.RestoreDir, ds.ID)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	out, err := conn.Exec(cctx, cmd)
	if err != nil {
		r.opts.Transport.Reconnect(h.Name)
		if conn, err = r.opts.Transport.Connect(cctx, h); err != nil {
			return fmt.Errorf("clean-up: connect: %w", err)
		}
		out, err = conn.Exec(cctx, cmd)
	}
	if err == nil && out.ExitCode != 0 {
		err = fmt.Errorf("clean-up: exit %d: %s", out.ExitCode, remote.CleanLine(string(out.Stderr)))
	}
	return err
}

// finishDrill records the outcome in the drill store and the audit log;
// the audit's error text is the summary and then each error of whole
// (nil ones skipped) with its full chain.
func (r *Runner) finishDrill(res probes.DrillResult, base Record, exit *int, whole []error) probes.DrillResult {
	if res.Ended.IsZero() {
		res.Ended = r.opts.Now()
	}
	r.recordDrill(&res)
	rec := base
	rec.Phase = PhaseOutcome
	rec.Outcome = map[string]string{probes.DrillPassed: "ok", probes.DrillFailed: "failed",
		probes.DrillCancelled: "cancelled"}[res.Outcome]
	if rec.Outcome == "" {
		rec.Outcome = "unknown"
	}
	rec.Exit = exit
	rec.Duration = res.Ended.Sub(res.Started).Seconds()
	var texts []string
	if res.Outcome != probes.DrillPassed {
		texts = append(texts, res.Summary())
	}
	for _, err := range whole {
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	rec.Error = strings.Join(texts, "; ")
	words := ""
	if rec.Error != "" {
		words = res.Summary()
	}
	if err := r.recordSaying(rec, words); err != nil {
		res.Notes = append(res.Notes, "outcome NOT in the audit log: "+probes.Words(err))
	}
	return res
}

// recordDrill keeps a passed or failed drill in the drill store.
func (r *Runner) recordDrill(res *probes.DrillResult) {
	if r.opts.Drills == nil {
		return
	}
	if err := r.opts.Drills.Record(*res); err != nil {
		res.Notes = append(res.Notes, "drill NOT recorded: "+probes.Words(err))
	}
}
