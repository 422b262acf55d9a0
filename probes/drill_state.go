package probes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// DrillRecord is what is remembered of one backup spec's drills.
type DrillRecord struct {
	Host string `json:"host"`
	Spec string `json:"spec"`
	// Last is the latest drill that passed or failed (unknown and
	// cancelled drills prove nothing either way and are not recorded).
	Last DrillSummary `json:"last"`
	// LastSuccess is when a drill of this spec last passed (zero: never).
	LastSuccess time.Time `json:"last_success"`
}

// DrillSummary is a drill's outcome as persisted.
type DrillSummary struct {
	Time           time.Time `json:"time"`
	Level          int       `json:"level"`
	Outcome        string    `json:"outcome"`
	Reason         string    `json:"reason,omitempty"`
	File           string    `json:"file,omitempty"`
	Bytes          int64     `json:"bytes,omitempty"`
	RestoreSeconds float64   `json:"restore_seconds"`
	BytesPerSecond float64   `json:"bytes_per_second,omitempty"`
}

// DrillRecords maps a host and a spec to its record (see DrillKey).
type DrillRecords map[string]DrillRecord

// DrillKey is the key of a host's spec in DrillRecords.
func DrillKey(host, spec string) string { return host + "\x00" + spec }

// DrillStore keeps the drill records in one JSON file in the state
// directory ($XDG_STATE_HOME/hvconsole/drills.json), written atomically
// (temporary file, fsync, rename) so a crash leaves the old or the new
// file, never half of one. It is safe for concurrent use in one process.
type DrillStore struct {
	path string
	mu   sync.Mutex
}

// maxDrillFile bounds the file read: a few hundred bytes per spec.
const maxDrillFile = 16 << 20

// ErrDrillFile is returned for a drills file that cannot be read as ours.
var ErrDrillFile = errors.New("probes: drills file unreadable")

// NewDrillStore returns the store kept at path.
func NewDrillStore(path string) *DrillStore { return &DrillStore{path: path} }

// DefaultDrillFile is drills.json beside the audit log's default place.
func DefaultDrillFile(getenv func(string) string) string {
	dir := getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(getenv("HOME"), ".local", "state")
	}
	return filepath.Join(dir, "hvconsole", "drills.json")
}

// Load reads every record; a missing file is no records.
func (s *DrillStore) Load() (DrillRecords, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

func (s *DrillStore) load() (DrillRecords, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return DrillRecords{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDrillFile, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDrillFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDrillFile, err)
	}
	return ParseDrillRecords(b)
}

// ParseDrillRecords reads a drills file's contents.
func ParseDrillRecords(b []byte) (DrillRecords, error) {
	if len(b) > maxDrillFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrDrillFile, maxDrillFile)
	}
	var list []DrillRecord
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDrillFile, err)
	}
	out := make(DrillRecords, len(list))
	for _, r := range list {
		if r.Host == "" || r.Spec == "" {
			return nil, fmt.Errorf("%w: a record without host or spec", ErrDrillFile)
		}
		out[DrillKey(r.Host, r.Spec)] = r
	}
	return out, nil
}

// Record adds a finished drill. Unknown and cancelled drills are not kept.
func (s *DrillStore) Record(d DrillResult) error {
	if d.Outcome != DrillPassed && d.Outcome != DrillFailed {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.load()
	if err != nil {
		return err
	}
	k := DrillKey(d.Host, d.Spec)
	r := recs[k]
	r.Host, r.Spec = d.Host, d.Spec
	r.Last = DrillSummary{Time: d.Ended.UTC(), Level: d.Level, Outcome: d.Outcome, Reason: d.Reason, File: d.File,
		Bytes: d.Size, RestoreSeconds: d.RestoreTime.Seconds(), BytesPerSecond: d.Throughput}
	if d.Outcome == DrillPassed {
		r.LastSuccess = d.Ended.UTC()
	}
	recs[k] = r
	return s.save(recs)
}

func (s *DrillStore) save(recs DrillRecords) error {
	list := make([]DrillRecord, 0, len(recs))
	for _, r := range recs {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool {
		return DrillKey(list[i].Host, list[i].Spec) < DrillKey(list[j].Host, list[j].Spec)
	})
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("probes: drills file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".drills-*.json")
	if err != nil {
		return fmt.Errorf("probes: drills file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("probes: drills file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("probes: drills file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("probes: drills file: %w", err)
	}
	return os.Rename(tmp.Name(), s.path)
}

// rateDrillAge applies a spec's drill_max_age to its backups result: CRIT
// when the last drill failed, WARN when none passed within DrillMaxAge.
func rateDrillAge(br *BackupResult, spec hosts.Backup, host string, recs DrillRecords, now time.Time) {
	if spec.DrillMaxAge <= 0 {
		return
	}
	r, ok := recs[DrillKey(host, spec.Name)]
	var st Status
	var why string
	switch {
	case ok && r.Last.Outcome == DrillFailed:
		st, why = CRIT, "last restore drill failed: "+r.Last.Reason
	case !ok || r.LastSuccess.IsZero():
		st, why = WARN, "no restore drill has passed yet"
	case now.Sub(r.LastSuccess) > spec.DrillMaxAge:
		st, why = WARN, fmt.Sprintf("last passing restore drill %s ago (drill_max_age %s)",
			formatBackupAge(now.Sub(r.LastSuccess)), formatBackupAge(spec.DrillMaxAge))
	default:
		return
	}
	if br.Status == OK {
		br.Summary = remote.CleanLine(why)
	} else {
		br.Summary = remote.CleanLine(br.Summary + "; " + why)
	}
	br.Status = br.Status.Worse(st)
}

// ApplyDrills rates every spec of h against its drill records (see
// rateDrillAge) and rebuilds the backups check's result from them.
func ApplyDrills(res Result, results []BackupResult, h hosts.Host, recs DrillRecords, now time.Time) Result {
	if len(results) == 0 || recs == nil {
		return res
	}
	changed := false
	for i := range results {
		for _, spec := range h.Backups {
			if spec.Name == results[i].Spec && spec.DrillMaxAge > 0 {
				rateDrillAge(&results[i], spec, h.Name, recs, now)
				changed = true
			}
		}
	}
	if !changed {
		return res
	}
	st, sum, details, _ := summarizeBackups(results)
	out := backupCheckResult(h, st, sum, details, "", res.Latency, res.Time)
	out.Err = res.Err
	return out
}
