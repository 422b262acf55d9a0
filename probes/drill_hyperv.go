package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// HyperVDrillFacts is hosts.HyperVDrillScript's answer.
type HyperVDrillFacts struct {
	Size, Free       int64
	Hash             string // lower case
	Sidecar          string // the sidecar's hash ("" when none or unreadable)
	SidecarBad       bool
	NoSidecar        bool
	TestVHD          *bool
	TestError        string
	CopyMs, VerifyMs int64 // -1 when not reached
	Fail, Error      string
}

// ParseHyperVDrill parses hosts.HyperVDrillScript's output.
func ParseHyperVDrill(out string) (HyperVDrillFacts, error) {
	var raw struct {
		Size, Free, Hash, Sidecar, NoSidecar, TestVHD, TestError, CopyMs, VerifyMs, Fail, Error json.RawMessage
	}
	f := HyperVDrillFacts{CopyMs: -1, VerifyMs: -1}
	if _, err := decodePSDoc(out, &raw); err != nil {
		return f, err
	}
	for _, n := range []struct {
		name string
		raw  json.RawMessage
		dst  *int64
	}{{"Size", raw.Size, &f.Size}, {"Free", raw.Free, &f.Free}, {"CopyMs", raw.CopyMs, &f.CopyMs}, {"VerifyMs", raw.VerifyMs, &f.VerifyMs}} {
		v, ok, err := psUint(n.raw)
		if err != nil || v > 1<<62 {
			return f, psFieldErr(n.name, fmt.Errorf("%w: %s", errPSType, psExcerpt(n.raw)))
		}
		if ok {
			*n.dst = int64(v)
		}
	}
	var sidecar string
	for _, t := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"Hash", raw.Hash, &f.Hash}, {"Sidecar", raw.Sidecar, &sidecar}, {"TestError", raw.TestError, &f.TestError},
		{"Fail", raw.Fail, &f.Fail}, {"Error", raw.Error, &f.Error}} {
		s, err := psString(t.raw)
		if err != nil {
			return f, psFieldErr(t.name, err)
		}
		*t.dst = s
	}
	f.Hash = strings.ToLower(strings.TrimSpace(f.Hash))
	if f.Hash != "" && !isSHA256Hex(f.Hash) {
		return f, psFieldErr("Hash", fmt.Errorf("%w: not a sha256", errPSType))
	}
	f.TestError, f.Fail, f.Error = CleanLine(f.TestError), CleanLine(f.Fail), CleanLine(f.Error)
	if !psNull(raw.Sidecar) {
		h, err := parseSidecar(sidecar)
		f.Sidecar, f.SidecarBad = h, err != nil
	}
	var err error
	if f.TestVHD, err = psBool(raw.TestVHD); err != nil {
		return f, psFieldErr("TestVHD", err)
	}
	nb, err := psBool(raw.NoSidecar)
	if err != nil {
		return f, psFieldErr("NoSidecar", err)
	}
	f.NoSidecar = nb != nil && *nb
	return f, nil
}

// RateHyperVDrill rates a Windows drill as RateDrill rates a POSIX one:
// the sha256 against the sidecar, then Test-VHD on the copy (L1) or the
// backup (L0).
func RateHyperVDrill(f HyperVDrillFacts, spec hosts.Backup, level int) (outcome, why string, notes []string) {
	subject := "the copy"
	if level == hosts.DrillL0 {
		subject = "the backup"
	}
	switch {
	case f.Fail == "space":
		return DrillFailed, fmt.Sprintf("not enough free space in restore_dir: %s free, %s needed", formatBytes(f.Free), formatBytes(f.Size)), nil
	case f.Error != "":
		return DrillUnknown, "the drill stopped: " + f.Error, nil
	case f.Hash == "" || f.TestVHD == nil:
		return DrillUnknown, "the drill was cut short", nil
	case f.NoSidecar && spec.Verify == hosts.VerifySHA256:
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
	f, err := ParseHyperVDrill(out)
	if err != nil {
		r.Outcome, r.Reason = DrillUnknown, "unreadable drill output: "+reason(err)
		return
	}
	if f.Size > 0 {
		r.Size = f.Size
	}
	r.Outcome, r.Reason, r.Notes = RateHyperVDrill(f, spec, r.Level)
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
func NewestHyperVBackup(ctx context.Context, r Remote, h hosts.Host, spec hosts.Backup) (string, int64, error) {
	spec.Verify, spec.WSB = hosts.VerifyNone, false
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
