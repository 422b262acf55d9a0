package probes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// drillRecord is what is remembered of one backup spec's drills.
type drillRecord struct {
	Host string `json:"host"`
	Spec string `json:"spec"`
	// Last is the latest drill that passed or failed (unknown and
	// cancelled drills prove nothing either way and are not recorded).
	Last drillSummary `json:"last"`
	// LastSuccess is when a drill of this spec last passed (zero: never).
	LastSuccess time.Time `json:"last_success"`
}

// drillSummary is a drill's outcome as persisted.
type drillSummary struct {
	Time           time.Time `json:"time"`
	Level          int       `json:"level"`
	Outcome        string    `json:"outcome"`
	Reason         string    `json:"reason,omitempty"`
	File           string    `json:"file,omitempty"`
	Bytes          int64     `json:"bytes,omitempty"`
	RestoreSeconds float64   `json:"restore_seconds"`
	BytesPerSecond float64   `json:"bytes_per_second,omitempty"`
}

// drillRecords maps a host and a spec to its record (see drillKey).
type drillRecords map[string]drillRecord

// drillKey is the key of a host's spec in drillRecords.
func drillKey(host, spec string) string { return host + "\x00" + spec }

// DrillStore keeps the drill records in one JSON file in the state
// directory ($XDG_STATE_HOME/hvconsole/drills.json), written atomically
// (temporary file, fsync, rename) so a crash leaves the old or the new
// file, never half of one. Readers need no lock (a rename is atomic); a
// Record reads, changes and rewrites the file under an exclusive flock on
// drills.json.lock beside it, so a console and a serve (or two consoles)
// sharing the state directory never lose each other's record. It is safe
// for concurrent use.
type DrillStore struct {
	path string
	mu   sync.Mutex
}

// maxDrillFile bounds the file read: a few hundred bytes per spec.
const maxDrillFile = 16 << 20

// errDrillFile is returned for a drills file that cannot be read as ours.
var errDrillFile = errors.New("probes: drills file unreadable")

// NewDrillStore returns the store kept at path.
func NewDrillStore(path string) *DrillStore { return &DrillStore{path: path} }

// defaultDrillFile is drills.json beside the audit log's default place.
func defaultDrillFile(getenv func(string) string) string {
	dir := getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(getenv("HOME"), ".local", "state")
	}
	return filepath.Join(dir, "hvconsole", "drills.json")
}

// Load reads every record; a missing file is no records.
func (s *DrillStore) Load() (drillRecords, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

func (s *DrillStore) load() (drillRecords, error) {
	b, err := hosts.ReadFileUpTo(s.path, maxDrillFile)
	if errors.Is(err, fs.ErrNotExist) {
		return drillRecords{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDrillFile, err)
	}
	return parseDrillRecords(b)
}

// parseDrillRecords reads a drills file's contents.
func parseDrillRecords(b []byte) (drillRecords, error) {
	if len(b) > maxDrillFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", errDrillFile, maxDrillFile)
	}
	var list []drillRecord
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%w: %w", errDrillFile, err)
	}
	out := make(drillRecords, len(list))
	for _, r := range list {
		if r.Host == "" || r.Spec == "" {
			return nil, fmt.Errorf("%w: a record without host or spec", errDrillFile)
		}
		out[drillKey(r.Host, r.Spec)] = r
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
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	recs, err := s.load()
	if err != nil {
		return err
	}
	k := drillKey(d.Host, d.Spec)
	r := recs[k]
	r.Host, r.Spec = d.Host, d.Spec
	r.Last = drillSummary{Time: d.Ended.UTC(), Level: d.Level, Outcome: d.Outcome, Reason: d.Reason, File: d.File,
		Bytes: d.Size, RestoreSeconds: d.RestoreTime.Seconds(), BytesPerSecond: d.Throughput}
	if d.Outcome == DrillPassed {
		r.LastSuccess = d.Ended.UTC()
	}
	recs[k] = r
	return s.save(recs)
}

// lock takes the store's flock across processes (drills.json.lock, made
// 0600 and never removed: removing a lock file lets two writers each hold
// a lock on a different file).
func (s *DrillStore) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return nil, fmt.Errorf("probes: drills file: %w", err)
	}
	f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("probes: drills file lock: %w", err)
	}
	unlock, err := hosts.LockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("probes: drills file lock: %w", err)
	}
	return func() { unlock(); f.Close() }, nil
}

func (s *DrillStore) save(recs drillRecords) error {
	list := make([]drillRecord, 0, len(recs))
	for _, r := range recs {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool {
		return drillKey(list[i].Host, list[i].Spec) < drillKey(list[j].Host, list[j].Spec)
	})
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	// The folder exists: lock made it.
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
func rateDrillAge(br *BackupResult, spec hosts.Backup, host string, recs drillRecords, now time.Time) {
	if spec.DrillMaxAge <= 0 {
		return
	}
	r, ok := recs[drillKey(host, spec.Name)]
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

// applyDrills rates every spec of h against its drill records (see
// rateDrillAge) and rebuilds the backups check's result from them.
func applyDrills(res Result, results []BackupResult, h hosts.Host, recs drillRecords, now time.Time) Result {
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
