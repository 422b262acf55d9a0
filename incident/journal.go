package incident

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// Defaults of Options.
const (
	DefaultMaxBytes = 8 << 20
	DefaultKeep     = 4
	DefaultQueue    = 4096
	DefaultRecent   = 2000
)

// Options configure a Journal. The zero value is usable.
type Options struct {
	// Source is written into every record ("console", "serve").
	Source string
	// MaxBytes is the size past which the file is rotated (default 8 MiB);
	// Keep is how many rotated files are kept (default 4).
	MaxBytes int64
	Keep     int
	// Queue bounds the records waiting for the writer (default 4,096);
	// Recent bounds the records of this session kept in memory for the
	// console's view (default 2,000).
	Queue, Recent int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Journal appends records to the journal file. It is safe for concurrent
// use; Append, Observe, Ack and Action never block on the disk.
type Journal struct {
	path    string
	opts    Options
	started time.Time
	queue   chan Record
	stop    chan struct{}
	done    chan struct{}
	closed  atomic.Bool
	once    sync.Once
	dropped atomic.Int64

	mu sync.Mutex
	// last is each host's status as last journaled (read back from the
	// file at Open, so a restarted console continues its incidents).
	last   map[string]probes.Status
	recent []Record
	next   int // the ring's next write
	werr   error
}

// DefaultPath is events.jsonl in the state directory:
// $XDG_STATE_HOME/hvconsole, else ~/.local/state/hvconsole.
func DefaultPath(getenv func(string) string) string {
	dir := getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(getenv("HOME"), ".local", "state")
	}
	return filepath.Join(dir, "hvconsole", "events.jsonl")
}

// Open opens (creating) the journal at path and starts its writer. An
// empty path makes a memory-only journal: records are kept for Recent but
// written nowhere (a console attached to a collector, whose journal is the
// collector's).
func Open(path string, opts Options) (*Journal, error) {
	opts = withDefaults(opts)
	j := &Journal{path: path, opts: opts, started: opts.Now(), stop: make(chan struct{}), done: make(chan struct{}),
		last: map[string]probes.Status{}}
	if path == "" {
		close(j.done)
		return j, nil
	}
	w, err := j.open()
	if err != nil {
		return nil, err
	}
	go j.run(w)
	return j, nil
}

// open opens the file and reads the last statuses; the caller starts the
// writer.
func (j *Journal) open() (*writer, error) {
	f, err := actions.OpenAppendFile(j.path)
	if err != nil {
		return nil, fmt.Errorf("incident: journal %s: %w", j.path, err)
	}
	j.last = lastStatuses(j.path)
	j.queue = make(chan Record, j.opts.Queue)
	return &writer{path: j.path, f: f, maxBytes: j.opts.MaxBytes, keep: j.opts.Keep}, nil
}

func withDefaults(o Options) Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Recent <= 0 {
		o.Recent = DefaultRecent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Path is the journal's file ("" for a memory-only journal).
func (j *Journal) Path() string { return j.path }

// Started is when this journal was opened: the session's start.
func (j *Journal) Started() time.Time { return j.started }

// Append journals rec, stamping its time (when unset) and source. It never
// blocks: when the writer's queue is full the record is dropped and
// counted. It reports whether the record was queued.
func (j *Journal) Append(rec Record) bool {
	if rec.Time.IsZero() {
		rec.Time = j.opts.Now()
	}
	rec.Time = rec.Time.UTC()
	if rec.Source == "" {
		rec.Source = j.opts.Source
	}
	j.remember(rec)
	if j.path == "" {
		return true
	}
	if j.closed.Load() {
		j.dropped.Add(1)
		return false
	}
	select {
	case j.queue <- rec:
		return true
	default:
		j.dropped.Add(1)
		return false
	}
}

// Ack journals an acknowledgement made (a.Ended empty) or ended.
func (j *Journal) Ack(a Ack) { j.Append(a.record()) }

// Action journals an audit record; reads (a journal view) are not
// incident actions and are left out. Its signature fits
// actions.Options.Journal.
func (j *Journal) Action(rec actions.Record) {
	if rec.Action == actions.ActionJournal {
		return
	}
	j.Append(actionRecord(rec))
}

// remember keeps rec in the ring of this session's records.
func (j *Journal) remember(rec Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.recent) < j.opts.Recent {
		j.recent = append(j.recent, rec)
		return
	}
	j.recent[j.next] = rec
	j.next = (j.next + 1) % len(j.recent)
}

// Recent returns this session's records, oldest first (at most
// Options.Recent of the newest).
func (j *Journal) Recent() []Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Record, 0, len(j.recent))
	out = append(out, j.recent[j.next:]...)
	return append(out, j.recent[:j.next]...)
}

// Dropped is how many records were not written: the queue was full, the
// journal was closed, or the disk refused a batch (see Err).
func (j *Journal) Dropped() int64 { return j.dropped.Load() }

// Err is the last write error (nil once a later batch was written).
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.werr
}

func (j *Journal) setErr(err error) {
	j.mu.Lock()
	j.werr = err
	j.mu.Unlock()
}

// Close writes what is queued, closes the file and returns after the
// writer has exited. Records appended later are dropped.
func (j *Journal) Close() error {
	j.once.Do(func() {
		j.closed.Store(true)
		if j.path != "" {
			close(j.stop)
		}
	})
	<-j.done
	return j.Err()
}
