package probes

import (
	"context"
	"fmt"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// rateHyperVDrill rates a Windows drill as rateDrill rates a POSIX one:
// the sha256 against the sidecar, then Test-VHD on the copy (L1) or the
// backup (L0).
func rateHyperVDrill(f remote.HyperVDrillFacts, spec hosts.Backup, level int) (outcome, why string, notes []string) {
	subject := "the copy"
	if level == remote.DrillL0 {
		subject = "the backup"
	}
	switch {
	case f.Fail == "space":
		return DrillFailed, fmt.Sprintf("not enough free space in restore_dir: %s free, %s needed", formatBytes(f.Free), formatBytes(f.Size)), nil
	case f.Error != "":
		return DrillUnknown, "the drill stopped: " + f.Error, nil
	case f.Hash == "" || f.TestVHD == nil:
		return DrillUnknown, "the drill was cut short", nil
	case f.NoSidecar && spec.Verify == remote.VerifySHA256:
		return DrillFailed, "no FILE.sha256 sidecar to verify against", nil
	case f.NoSidecar:
		notes = append(notes, "no sha256 sidecar: the bytes are not proven")
	case f.SidecarBad:
		return DrillFailed, "the sidecar holds no sha256", nil
	case f.Hash != f.Sidecar:
		return DrillFailed, "sha256 of " + subject + " differs from the sidecar", nil
	}
	if !*f.TestVHD {
		return DrillFailed, "Test-VHD: " + subject + " is not a usable virtual disk " + f.TestError, notes
	}
	return DrillPassed, "", notes
}

// FinishHyperVDrill rates a Windows drill's output into r.
func FinishHyperVDrill(r *DrillResult, out string, spec hosts.Backup) {
	f, err := remote.ParseHyperVDrill(out)
	if err != nil {
		r.Outcome, r.Reason = DrillUnknown, "unreadable drill output: "+reason(err)
		return
	}
	if f.Size > 0 {
		r.Size = f.Size
	}
	r.Outcome, r.Reason, r.Notes = rateHyperVDrill(f, spec, r.Level)
	if f.VerifyMs >= 0 {
		r.RestoreTime = time.Duration(f.VerifyMs) * time.Millisecond
	}
	if f.CopyMs > 0 {
		r.CopyTime = time.Duration(f.CopyMs) * time.Millisecond
		r.Throughput = float64(f.Size) / r.CopyTime.Seconds()
	}
}

// NewestHyperVBackup lists a Windows spec's path as the backups check does
// and returns its newest file and size.
func NewestHyperVBackup(ctx context.Context, r Conn, h hosts.Host, spec hosts.Backup) (string, int64, error) {
	spec.Verify, spec.WSB = remote.VerifyNone, false
	f, err := hyperVBackupFacts(ctx, r, spec, probeTimeout(h))
	switch {
	case err != nil:
		return "", 0, err
	case f.Error != "":
		return "", 0, fmt.Errorf("probes: backup listing: %s", f.Error)
	case len(f.Files) == 0:
		return "", 0, fmt.Errorf("%w: %s", ErrNoBackupFile, spec.Path)
	}
	return f.Files[0].Path, f.Files[0].Size, nil
}
