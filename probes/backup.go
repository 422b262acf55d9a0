package probes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// BackupResult is one backup spec's outcome, for the host pane and for
// "hvconsole backups --json". All text is cleaned of control characters.
type BackupResult struct {
	// Spec is the spec's name from the config.
	Spec   string
	Status Status
	// Summary is the spec's problems ("31h old > max 26h; sha256
	// mismatch"), or a short description when it is OK.
	Summary string
	// Newest is the path of the newest matching file ("" when none).
	Newest string
	// Age is how old Newest is (0 for an mtime in the future).
	Age time.Duration
	// Size is Newest's size in bytes.
	Size int64
	// Count is how many files match the spec's glob (sidecars excluded).
	Count int
	// Verify is one of the BackupVerify* words.
	Verify string
	// Err is the underlying error text when the check could not be done.
	Err string
}

// Words for BackupResult.Verify: what the verification of the newest file
// found.
const (
	BackupVerifyOK          = "ok"
	BackupVerifyMismatch    = "mismatch"     // sha256 differs from the sidecar: CRIT
	BackupVerifyNoSidecar   = "no sidecar"   // FILE.sha256 missing: CRIT
	BackupVerifyBadSidecar  = "bad sidecar"  // FILE.sha256 holds no usable hash: CRIT
	BackupVerifyCorrupt     = "corrupt"      // qemu-img check found errors: CRIT
	backupVerifyLeaks       = "leaks"        // qemu-img check found leaked clusters only: WARN
	backupVerifyToolMissing = "tool missing" // sha256sum or qemu-img not installed: UNKNOWN
	backupVerifyFailed      = "failed"       // the verification did not run or was unreadable: UNKNOWN
	backupVerifySkipped     = "skipped"      // verify = "none", or no file to verify
)

// Deadlines of the backups check. The listing is as cheap as any probe;
// hashing or checking a multi-GiB image is not, so verification gets the
// check's own interval (it must end before the next run is due), capped.
const (
	defaultBackupListTimeout = 10 * time.Second
	defaultBackupInterval    = 15 * time.Minute
	maxBackupVerifyTimeout   = 30 * time.Minute
)

// checkBackups runs the backups check on one host: it lists every spec's
// glob in one exec, then verifies each spec's newest file in one more exec
// (files whose output breaks the batch framing are re-run alone), and rates
// each spec:
//
//   - no matching file, fewer than min_count files, newest older than
//     max_age, newest smaller than min_size: CRIT;
//   - newest older than 80% of max_age, an mtime in the future (age counts
//     as 0), a size drop of more than 50% from the previous file: WARN;
//   - sha256 mismatch, qemu-img errors (corruption): CRIT; qemu-img leaked
//     clusters only: WARN; sha256sum or qemu-img missing on the host, or
//     output that cannot be read: UNKNOWN with the reason;
//   - a missing FILE.sha256 sidecar (or one holding no hash) is CRIT, not
//     UNKNOWN: a backup that cannot be verified is not known good, and an
//     operator must be told before the day it is needed.
//
// The Result (check "backups") carries the worst spec's status, a one-line
// summary of the specs that are not OK and one detail line per spec. now is
// the clock ages are measured against. ctx bounds everything; the listing
// exec also has the host's probe_timeout, verification the backup interval
// (at most 30m). Files named *.sha256 are sidecars, never backups. A host
// with no specs is UNKNOWN: nothing there is known good.
func checkBackups(ctx context.Context, r Conn, h hosts.Host, now time.Time) (Result, []BackupResult) {
	start := time.Now()
	if len(h.Backups) == 0 {
		return backupCheckResult(h, UNKNOWN, "no backup specs configured", "", "", 0, now), nil
	}
	runs := make([]*backupRun, len(h.Backups))
	for i, spec := range h.Backups {
		runs[i] = &backupRun{spec: spec, verify: backupVerifySkippedOutcome()}
	}
	listBackups(ctx, r, h, runs)
	verifyBackups(ctx, r, h, runs)
	results := make([]BackupResult, len(runs))
	for i, run := range runs {
		results[i] = run.rate(now)
	}
	st, sum, details, errText := summarizeBackups(results)
	return backupCheckResult(h, st, sum, details, errText, time.Since(start), now), results
}

// backupCheckResult builds the check's Result with all text cleaned.
func backupCheckResult(h hosts.Host, st Status, sum, details, errText string, lat time.Duration, at time.Time) Result {
	return Result{Host: h.Name, Check: hosts.CheckBackups, Status: st, Summary: remote.CleanSummary(sum),
		Details: remote.Clean(details), Latency: lat, Time: at, Err: remote.Clean(errText)}
}

// backupRun is one spec's state while the check runs.
type backupRun struct {
	spec    hosts.Backup
	files   []remote.BackupFile // newest first
	listErr error               // set when the listing failed or was unreadable
	stderr  string              // the listing exec's stderr, a hint when nothing matched
	verify  backupVerifyOutcome
}

// backupVerifyOutcome is the verification of a spec's newest file.
type backupVerifyOutcome struct {
	word   string // a BackupVerify* word
	status Status
	note   string // the operator-facing problem, "" when OK or skipped
	err    error
}

func backupVerifySkippedOutcome() backupVerifyOutcome {
	return backupVerifyOutcome{word: backupVerifySkipped}
}

// backupVerifyFail is an UNKNOWN verification: it did not run, or its output
// could not be read.
func backupVerifyFail(what string, err error) backupVerifyOutcome {
	return backupVerifyOutcome{word: backupVerifyFailed, status: UNKNOWN, note: what + ": " + backupReason(err), err: err}
}

// backupReason is a short operator-facing cause for err: its chain, as
// the steps it names help (more than probes.Words keeps), without package
// prefixes and cleaned where it is taken (wordsText), since it may quote a
// host and is put before our own words: an escape left open in it must not
// eat them.
func backupReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errCallTimeout) {
		return "no answer before the deadline"
	}
	return wordsText(err.Error())
}

func backupListTimeout(h hosts.Host) time.Duration {
	if h.ProbeTimeout > 0 {
		return h.ProbeTimeout
	}
	return defaultBackupListTimeout
}

func backupVerifyTimeout(h hosts.Host) time.Duration {
	d := h.BackupInterval
	if d <= 0 {
		d = defaultBackupInterval
	}
	return max(min(d, maxBackupVerifyTimeout), backupListTimeout(h))
}

// backupBatch runs cmds as one remote.Batch and splits the output. Parts whose
// end marker never came have Exit -1; truncated tells whether the transport
// cut the output, which explains such parts.
func backupBatch(ctx context.Context, r Conn, cmds []string) (parts []remote.BatchPart, stderr string, truncated bool, err error) {
	script, err := remote.Batch(cmds...)
	if err != nil {
		return nil, "", false, fmt.Errorf("probes: backups batch: %w", err)
	}
	res, err := r.Exec(ctx, script.Script)
	if err != nil {
		return nil, "", false, fmt.Errorf("probes: backups exec: %w", err)
	}
	return script.Split(string(res.Stdout)), string(res.Stderr), res.Truncated, nil
}

// listBackups lists every spec's glob in one exec and stores the files or
// the reason they are unknown.
func listBackups(ctx context.Context, r Conn, h hosts.Host, runs []*backupRun) {
	var cmds []string
	var idx []int
	for i, run := range runs {
		cmd, err := remote.BackupListCommand(run.spec.Path)
		if err != nil {
			run.listErr = fmt.Errorf("probes: backup %q: %w", run.spec.Name, err)
			continue
		}
		cmds, idx = append(cmds, cmd), append(idx, i)
	}
	if len(cmds) == 0 {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, backupListTimeout(h))
	defer cancel()
	parts, stderr, truncated, err := backupBatch(lctx, r, cmds)
	for k, i := range idx {
		run := runs[i]
		switch {
		case err != nil:
			run.listErr = err
		case parts[k].Exit < 0:
			run.listErr = fmt.Errorf("%w: listing %s", remote.ErrBackupOutput, backupCutShort(truncated))
		case parts[k].Exit != 0:
			run.listErr = fmt.Errorf("%w: listing exited %d", remote.ErrBackupOutput, parts[k].Exit)
		default:
			run.files, run.listErr = remote.ParseBackupListing(parts[k].Output, run.spec.Path)
			run.stderr = stderr
		}
	}
}

// backupCutShort explains a batch part whose end marker is missing.
func backupCutShort(truncated bool) string {
	if truncated {
		return "output truncated by the transport"
	}
	return "output cut short"
}
