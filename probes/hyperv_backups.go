package probes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// HyperVWSB is Windows Server Backup's summary (Get-WBSummary).
type HyperVWSB struct {
	LastSuccess, LastBackup time.Time
	// LastResultHR is the HRESULT of the last backup (0: success).
	LastResultHR int64
	Versions     int64
	Message      string
}

// HyperVBackupFacts is what hosts.HyperVBackupsScript reported for a spec.
type HyperVBackupFacts struct {
	// Files are the newest matching files, newest first (at most
	// hosts.MaxBackupListing); Count is how many matched in all.
	Files []backupFile
	Count int
	// Note is Get-ChildItem's first error, a hint when nothing matched.
	Note string
	// Hash is the newest file's SHA256 in lower case ("" when not asked).
	Hash      string
	Sidecar   *string
	NoSidecar bool
	WSB       *HyperVWSB
	WSBError  string
	Error     string
}

// ParseHyperVBackups parses hosts.HyperVBackupsScript's output.
func ParseHyperVBackups(out string) (HyperVBackupFacts, error) {
	var raw struct {
		Files, Count, Note, Hash, Sidecar, NoSidecar, WSB, WSBError, Error json.RawMessage
	}
	var f HyperVBackupFacts
	if _, err := decodePSDoc(out, &raw); err != nil {
		return f, err
	}
	for _, t := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"Note", raw.Note, &f.Note}, {"Hash", raw.Hash, &f.Hash}, {"WSBError", raw.WSBError, &f.WSBError}, {"Error", raw.Error, &f.Error}} {
		s, err := psString(t.raw)
		if err != nil {
			return f, psFieldErr(t.name, err)
		}
		*t.dst = CleanLine(s)
	}
	if f.Hash != "" && !isSHA256Hex(f.Hash) {
		return f, psFieldErr("Hash", fmt.Errorf("%w: not a SHA256", errPSType))
	}
	f.Hash = strings.ToLower(f.Hash)
	if !psNull(raw.Sidecar) {
		s, err := psString(raw.Sidecar)
		if err != nil {
			return f, psFieldErr("Sidecar", err)
		}
		f.Sidecar = &s
	}
	ns, err := psBool(raw.NoSidecar)
	if err != nil {
		return f, psFieldErr("NoSidecar", err)
	}
	f.NoSidecar = ns != nil && *ns
	if err := f.readFiles(raw.Files, raw.Count); err != nil {
		return f, err
	}
	if f.WSB, err = parseHyperVWSB(raw.WSB); err != nil {
		return f, psFieldErr("WSB", err)
	}
	return f, nil
}

func (f *HyperVBackupFacts) readFiles(files, count json.RawMessage) error {
	items, err := psList(files)
	if err != nil || len(items) > hosts.MaxBackupListing {
		return psFieldErr("Files", fmt.Errorf("%w: %d files", errPSType, len(items)))
	}
	for i, it := range items {
		var r struct{ Path, Size, MTime json.RawMessage }
		if err := json.Unmarshal(it, &r); err != nil {
			return fmt.Errorf("%w: file %d: %w", ErrUnparseable, i+1, err)
		}
		p, err1 := psString(r.Path)
		size, _, err2 := psUint(r.Size)
		mt, ok, err3 := psTime(r.MTime)
		if err1 != nil || err2 != nil || err3 != nil || !ok || p == "" || size > 1<<62 {
			return fmt.Errorf("%w: file %d: bad path, size or mtime", ErrUnparseable, i+1)
		}
		f.Files = append(f.Files, backupFile{Path: p, MTime: mt, Size: int64(size)})
	}
	slices.SortStableFunc(f.Files, func(a, b backupFile) int { return b.MTime.Compare(a.MTime) })
	n, _, err := psUint(count)
	if err != nil || n > 1<<31 {
		return psFieldErr("Count", fmt.Errorf("%w: %s", errPSType, psExcerpt(count)))
	}
	f.Count = max(int(n), len(f.Files))
	return nil
}

func parseHyperVWSB(raw json.RawMessage) (*HyperVWSB, error) {
	if psNull(raw) {
		return nil, nil
	}
	var r struct {
		LastSuccessfulBackupTime, LastBackupTime, LastBackupResultHR, NumberOfVersions, DetailedMessage json.RawMessage
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	var w HyperVWSB
	var err error
	if w.LastSuccess, _, err = psTime(r.LastSuccessfulBackupTime); err != nil {
		return nil, err
	}
	if w.LastBackup, _, err = psTime(r.LastBackupTime); err != nil {
		return nil, err
	}
	hr, _, err := psNumber(r.LastBackupResultHR)
	if err != nil || hr < -(1<<32) || hr > 1<<32 {
		return nil, fmt.Errorf("%w: bad LastBackupResultHR", errPSType)
	}
	v, _, err := psUint(r.NumberOfVersions)
	if err != nil || v > 1<<31 {
		return nil, fmt.Errorf("%w: bad NumberOfVersions", errPSType)
	}
	msg, err := psString(r.DetailedMessage)
	if err != nil {
		return nil, err
	}
	w.LastResultHR, w.Versions, w.Message = int64(hr), int64(v), CleanLine(msg)
	return &w, nil
}

// CheckHyperVBackups is CheckBackups for a Windows host: one script per
// spec (Get-ChildItem, Get-FileHash with the sidecar, Get-WBSummary when
// wsb is set), rated by the same rules as on KVM hosts. A spec with wsb
// adds a result "NAME (wsb)": the last successful Windows Server Backup
// older than max_age, or a failed last backup, is CRIT; older than 80% of
// max_age WARN; Get-WBSummary failing (feature missing, no rights) UNKNOWN.
func CheckHyperVBackups(ctx context.Context, r Remote, h hosts.Host, now time.Time) (Result, []BackupResult) {
	start := time.Now()
	if len(h.Backups) == 0 {
		return backupCheckResult(h, UNKNOWN, "no backup specs configured", "", "", 0, now), nil
	}
	var results []BackupResult
	for _, spec := range h.Backups {
		timeout := backupListTimeout(h)
		if spec.Verify == hosts.VerifySHA256 {
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

func hyperVBackupFacts(ctx context.Context, r Remote, spec hosts.Backup, timeout time.Duration) (HyperVBackupFacts, error) {
	script, err := hosts.HyperVBackupsScript(spec)
	if err != nil {
		return HyperVBackupFacts{}, fmt.Errorf("probes: backup %q: %w", spec.Name, err)
	}
	out, _, err := runPowerShell(ctx, r, script, timeout)
	if err != nil {
		return HyperVBackupFacts{}, err
	}
	return ParseHyperVBackups(out)
}

// rateHyperVBackup rates one spec through the KVM rules (backupRun.rate).
func rateHyperVBackup(spec hosts.Backup, f HyperVBackupFacts, err error, now time.Time) BackupResult {
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
	case spec.Verify == hosts.VerifySHA256 && len(f.Files) > 0:
		run.verify = hyperVSHA256Outcome(f)
	}
	if f.Count >= spec.MinCount {
		run.spec.MinCount = 0 // met, though only the newest files are listed
	}
	br := run.rate(now)
	br.Count = max(br.Count, f.Count)
	return br
}

func hyperVSHA256Outcome(f HyperVBackupFacts) backupVerifyOutcome {
	switch {
	case f.Hash == "":
		return backupVerifyFail("sha256 verify", fmt.Errorf("%w: Get-FileHash printed no hash", errBackupOutput))
	case f.NoSidecar || f.Sidecar == nil:
		return backupVerifyOutcome{word: BackupVerifyNoSidecar, status: CRIT, note: "no sha256 sidecar"}
	}
	want, err := parseSidecar(*f.Sidecar)
	switch {
	case err != nil:
		return backupVerifyOutcome{word: BackupVerifyBadSidecar, status: CRIT, note: "bad sha256 sidecar: " + err.Error()}
	case !strings.EqualFold(want, f.Hash):
		return backupVerifyOutcome{word: BackupVerifyMismatch, status: CRIT, note: "sha256 mismatch"}
	}
	return backupVerifyOutcome{word: BackupVerifyOK}
}

// rateWSB rates Windows Server Backup's summary against the spec's max_age.
func rateWSB(spec hosts.Backup, f HyperVBackupFacts, err error, now time.Time) BackupResult {
	br := BackupResult{Spec: CleanLine(spec.Name + " (wsb)"), Verify: BackupVerifySkipped}
	switch {
	case err != nil:
		br.Status, br.Summary, br.Err = UNKNOWN, CleanLine("backup script failed: "+backupReason(err)), Clean(err.Error())
		return br
	case f.WSB == nil:
		why := f.WSBError
		if why == "" {
			why = "no summary printed"
		}
		br.Status, br.Summary = UNKNOWN, CleanLine("Get-WBSummary failed: "+why)
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
	br.Summary = CleanLine(strings.Join(texts, "; "))
	if len(found) == 0 {
		br.Summary = fmt.Sprintf("last success %s ago, %d versions", formatBackupAge(br.Age), w.Versions)
	}
	return br
}
