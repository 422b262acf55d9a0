package probes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Outcomes of a restore drill.
const (
	DrillPassed    = "passed"
	DrillFailed    = "failed"
	DrillUnknown   = "unknown"   // cut short or unreadable: neither passed nor failed
	DrillCancelled = "cancelled" // stopped by the operator
)

// DrillResult is one restore drill's outcome.
type DrillResult struct {
	Host, Spec string
	// File is the backup drilled (the spec's newest file).
	File  string
	Level int
	// Outcome is one of the Drill* words; Reason says why it did not pass.
	Outcome, Reason string
	// Notes are facts worth knowing that did not fail the drill (leaked
	// clusters, no sidecar under a spec that does not require one).
	Notes []string
	Size  int64
	// CopyTime is the L1 copy; RestoreTime the copy plus its verification
	// (the RTO an operator quotes), or the verification alone for L0.
	CopyTime, RestoreTime time.Duration
	// Throughput is the copy's bytes per second (0 for L0).
	Throughput float64
	// Domain is the L2 drill's transient domain; BootTime how long its
	// guest agent took to answer after the start.
	Domain         string
	BootTime       time.Duration
	Started, Ended time.Time
}

// Summary is the one line the event log and the CLI show.
func (d DrillResult) Summary() string {
	what := fmt.Sprintf("L%d drill of %s", d.Level, d.Spec)
	var s string
	switch d.Outcome {
	case DrillPassed:
		s = what + " passed"
		if d.Level >= remote.DrillL1 {
			s += fmt.Sprintf(": restored %s in %s (%s/s)", formatBytes(d.Size), d.RestoreTime.Round(10*time.Millisecond),
				formatBytes(int64(d.Throughput)))
			if d.Level == remote.DrillL2 {
				s += fmt.Sprintf(", booted: guest agent answered after %s", d.BootTime.Round(100*time.Millisecond))
			}
		} else {
			s += " in " + d.RestoreTime.Round(10*time.Millisecond).String()
		}
	default:
		s = what + " " + d.Outcome + ": " + d.Reason
	}
	if len(d.Notes) > 0 {
		s += " (" + strings.Join(d.Notes, "; ") + ")"
	}
	return remote.CleanLine(s)
}

// rateDrill turns a drill script's facts into an outcome, as the README's
// table says: a sha256 that differs from the sidecar, qemu-img check
// exit 2 (corrupt), a copy that qemu-img compare finds different, a
// backing file the image depends on, or a missing sidecar under verify =
// "sha256" fail the drill; leaked clusters (exit 3) are a note; a drill
// cut short is unknown.
func rateDrill(f remote.DrillFacts, spec hosts.Backup, level int, qcow2 bool) (outcome, reason string, notes []string) {
	if f.Fail != "" {
		return drillFailure(f)
	}
	if !f.Done {
		return DrillUnknown, "the drill was cut short", nil
	}
	subject := "the copy"
	if level == remote.DrillL0 {
		subject = "the backup"
	}
	switch {
	case f.NoSidecar && spec.Verify == remote.VerifySHA256:
		return DrillFailed, "no FILE.sha256 sidecar to verify against", nil
	case f.NoSidecar:
		notes = append(notes, "no sha256 sidecar: the bytes are not proven")
	case f.Sidecar == "" || len(f.Sidecar) != 64:
		return DrillFailed, "the sidecar holds no sha256", nil
	case f.SHA256 != f.Sidecar:
		return DrillFailed, "sha256 of " + subject + " differs from the sidecar", nil
	}
	if !qcow2 {
		return DrillPassed, "", notes
	}
	switch f.Check {
	case 0:
	case 3:
		notes = append(notes, "qemu-img check: leaked clusters")
	case 2:
		return DrillFailed, "qemu-img check: the image is corrupt", notes
	case 124, 137:
		return DrillFailed, "qemu-img check timed out", notes
	default:
		return DrillFailed, fmt.Sprintf("qemu-img check could not complete (exit %d)", f.Check), notes
	}
	if level >= remote.DrillL1 && f.Compare != 0 {
		if f.Compare == 1 {
			return DrillFailed, "qemu-img compare: the copy differs from the backup", notes
		}
		return DrillFailed, fmt.Sprintf("qemu-img compare could not complete (exit %d)", f.Compare), notes
	}
	if f.Backing != "" {
		return DrillFailed, "the image depends on backing file " + f.Backing + ": not restorable on its own", notes
	}
	return DrillPassed, "", notes
}

func drillFailure(f remote.DrillFacts) (string, string, []string) {
	switch word, _, _ := strings.Cut(f.Fail, " "); word {
	case "space":
		return DrillFailed, fmt.Sprintf("not enough free space in restore_dir: %s free, %s needed", formatBytes(f.Free), formatBytes(f.Size)), nil
	case "nosrc":
		return DrillFailed, "the backup file vanished", nil
	case "mkdir":
		return DrillFailed, "cannot create the scratch folder in restore_dir", nil
	case "copy":
		return DrillFailed, "the copy failed", nil
	case "tool":
		return DrillUnknown, "qemu-img is not installed on the host", nil
	case "external-data":
		return DrillUnknown, "the image names an external data file: not opened (qemu-img would follow it)", nil
	}
	return DrillUnknown, "the drill stopped: " + f.Fail, nil
}

// drillTimes fills the result's times from the script's phase stamps.
func drillTimes(d *DrillResult, f remote.DrillFacts) {
	start, ok := f.Phases["copy"]
	if !ok {
		start = f.Phases["verify"]
	}
	if end, ok := f.Phases["end"]; ok && end >= start && start > 0 {
		d.RestoreTime = time.Duration(end - start)
	}
	if v, ok := f.Phases["verify"]; ok && f.Phases["copy"] > 0 && v >= f.Phases["copy"] {
		d.CopyTime = time.Duration(v - f.Phases["copy"])
		if d.CopyTime > 0 {
			d.Throughput = float64(f.Size) / d.CopyTime.Seconds()
		}
	}
}

// FinishDrill rates a drill's output into r (Outcome, Reason, Notes, Size
// and times); output that cannot be read makes the drill unknown.
func FinishDrill(r *DrillResult, out string, spec hosts.Backup, qcow2 bool) {
	f, err := remote.ParseDrillOutput(out)
	if err != nil {
		r.Outcome, r.Reason = DrillUnknown, "unreadable drill output: "+reason(err)
		return
	}
	if f.Size > 0 {
		r.Size = f.Size
	}
	r.Outcome, r.Reason, r.Notes = rateDrill(f, spec, r.Level, qcow2)
	drillTimes(r, f)
}

// ErrNoBackupFile is returned when a spec's glob matches no file.
var ErrNoBackupFile = errors.New("probes: no backup file matches the spec")

// NewestBackup lists spec's glob on the host, as the backups check does,
// and returns its newest file and size, under h's listing deadline.
func NewestBackup(ctx context.Context, r Conn, h hosts.Host, spec hosts.Backup) (string, int64, error) {
	run := &backupRun{spec: spec}
	listBackups(ctx, r, h, []*backupRun{run})
	if run.listErr != nil {
		return "", 0, run.listErr
	}
	if len(run.files) == 0 {
		return "", 0, fmt.Errorf("%w: %s", ErrNoBackupFile, spec.Path)
	}
	return run.files[0].Path, run.files[0].Size, nil
}
