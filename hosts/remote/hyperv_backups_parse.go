package remote

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HyperVWSB is Windows Server Backup's summary (Get-WBSummary).
type HyperVWSB struct {
	LastSuccess, LastBackup time.Time
	// LastResultHR is the HRESULT of the last backup (0: success).
	LastResultHR int64
	Versions     int64
	Message      string
}

// HyperVBackupFacts is what HyperVBackupsScript reported for a spec.
type HyperVBackupFacts struct {
	// Files are the newest matching files, newest first (at most
	// MaxBackupListing); Count is how many matched in all.
	Files []BackupFile
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

// ParseHyperVBackups parses HyperVBackupsScript's output.
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
	if f.Hash != "" && !IsSHA256Hex(f.Hash) {
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
	if err != nil || len(items) > MaxBackupListing {
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
		f.Files = append(f.Files, BackupFile{Path: p, MTime: mt, Size: int64(size)})
	}
	slices.SortStableFunc(f.Files, func(a, b BackupFile) int { return b.MTime.Compare(a.MTime) })
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
