package probes

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// checkHyperVBackups is checkBackups for a Windows host: one script per
// spec (Get-ChildItem, Get-FileHash with the sidecar, Get-WBSummary when
// wsb is set), rated by the same rules as on KVM hosts. A spec with wsb
// adds a result "NAME (wsb)": the last successful Windows Server Backup
// older than max_age, or a failed last backup, is CRIT; older than 80% of
// max_age WARN; Get-WBSummary failing (feature missing, no rights) UNKNOWN.
func checkHyperVBackups(ctx context.Context, r Conn, h hosts.Host, now time.Time) (Result, []BackupResult) {
	start := time.Now()
	if len(h.Backups) == 0 {
		return backupCheckResult(h, UNKNOWN, "no backup specs configured", "", "", 0, now), nil
	}
	var results []BackupResult
	for _, spec := range h.Backups {
		timeout := backupListTimeout(h)
		if spec.Verify == remote.VerifySHA256 {
			timeout = backupVerifyTimeout(h)
		}
		f, err := hyperVBackupFacts(ctx, r, spec, timeout)
		results = append(results, rateHyperVBackup(spec, f, err, now))
		if spec.WSB {
			results = append(results, rateWSB(spec, f, err, now))
		}
	}
	st, sum, details, errText := summarizeBackups(results)
	return backupCheckResult(h, st, sum, details, errText, time.Since(start), now), results
}

func hyperVBackupFacts(ctx context.Context, r Conn, spec hosts.Backup, timeout time.Duration) (remote.HyperVBackupFacts, error) {
	script, err := remote.HyperVBackupsScript(spec.Query())
	if err != nil {
		return remote.HyperVBackupFacts{}, fmt.Errorf("probes: backup %q: %w", spec.Name, err)
	}
	out, _, err := runPowerShell(ctx, r, script, timeout)
	if err != nil {
		return remote.HyperVBackupFacts{}, err
	}
	return remote.ParseHyperVBackups(out)
}

// rateHyperVBackup rates one spec through the KVM rules (backupRun.rate).
func rateHyperVBackup(spec hosts.Backup, f remote.HyperVBackupFacts, err error, now time.Time) BackupResult {
	run := &backupRun{spec: spec, verify: backupVerifySkippedOutcome(), files: f.Files, stderr: f.Note}
	switch {
	case err != nil:
		run.listErr = err
	case f.Error != "":
		if len(f.Files) == 0 {
			run.listErr = fmt.Errorf("probes: backup script: %s", f.Error)
		} else {
			run.verify = backupVerifyFail("sha256 verify", fmt.Errorf("probes: %s", f.Error))
		}
	case spec.Verify == remote.VerifySHA256 && len(f.Files) > 0:
		run.verify = hyperVSHA256Outcome(f)
	}
	if f.Count >= spec.MinCount {
		run.spec.MinCount = 0 // met, though only the newest files are listed
	}
	br := run.rate(now)
	br.Count = max(br.Count, f.Count)
	return br
}

func hyperVSHA256Outcome(f remote.HyperVBackupFacts) backupVerifyOutcome {
	switch {
	case f.Hash == "":
		return backupVerifyFail("sha256 verify", fmt.Errorf("%w: Get-FileHash printed no hash", remote.ErrBackupOutput))
	case f.NoSidecar || f.Sidecar == nil:
		return backupVerifyOutcome{word: BackupVerifyNoSidecar, status: CRIT, note: "no sha256 sidecar"}
	}
	want, err := remote.ParseSidecar(*f.Sidecar)
	switch {
	case err != nil:
		return backupVerifyOutcome{word: BackupVerifyBadSidecar, status: CRIT, note: "bad sha256 sidecar: " + err.Error()}
	case !strings.EqualFold(want, f.Hash):
		return backupVerifyOutcome{word: BackupVerifyMismatch, status: CRIT, note: "sha256 mismatch"}
	}
	return backupVerifyOutcome{word: BackupVerifyOK}
}

// rateWSB rates Windows Server Backup's summary against the spec's max_age.
func rateWSB(spec hosts.Backup, f remote.HyperVBackupFacts, err error, now time.Time) BackupResult {
	br := BackupResult{Spec: remote.CleanLine(spec.Name + " (wsb)"), Verify: backupVerifySkipped}
	switch {
	case err != nil:
		br.Status, br.Summary, br.Err = UNKNOWN, remote.CleanLine("backup script failed: "+backupReason(err)), remote.Clean(err.Error())
		return br
	case f.WSB == nil:
		why := f.WSBError
		if why == "" {
			why = "no summary printed"
		}
		br.Status, br.Summary = UNKNOWN, remote.CleanLine("Get-WBSummary failed: "+why)
		return br
	}
	w := f.WSB
	var found []backupFinding
	if w.LastResultHR != 0 {
		found = append(found, backupFinding{CRIT, fmt.Sprintf("last Windows Server Backup failed (HRESULT 0x%08X) %s", uint32(w.LastResultHR), w.Message)})
	}
	if w.LastSuccess.IsZero() || w.LastSuccess.Year() < 1980 {
		found = append(found, backupFinding{CRIT, "no successful Windows Server Backup"})
	} else {
		var ages []backupFinding
		br.Age, ages = backupAgeFindings(now.Sub(w.LastSuccess), spec.MaxAge)
		for _, a := range ages {
			a.text = "last success " + a.text
			found = append(found, a)
		}
	}
	texts := make([]string, len(found))
	for i, x := range found {
		br.Status, texts[i] = br.Status.Worse(x.status), x.text
	}
	br.Summary = remote.CleanLine(strings.Join(texts, "; "))
	if len(found) == 0 {
		br.Summary = fmt.Sprintf("last success %s ago, %d versions", formatBackupAge(br.Age), w.Versions)
	}
	return br
}
