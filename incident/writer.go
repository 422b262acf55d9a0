package incident

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hvconsole/hvconsole/probes/actions"
)

// maxBatch bounds the records written (and fsynced) at once.
const maxBatch = 512

// writer owns the open file; only the journal's goroutine touches it.
type writer struct {
	path     string
	f        *actions.AppendFile // nil after a failed reopen: retried per batch
	maxBytes int64
	keep     int
	buf      []byte
}

// run is the journal's one writer: it takes a record, then every record
// already queued (up to maxBatch), and writes them as one batch.
func (j *Journal) run(w *writer) {
	defer close(j.done)
	defer w.close()
	batch := make([]Record, 0, maxBatch)
	for {
		select {
		case rec := <-j.queue:
			batch = append(batch, rec)
		case <-j.stop:
			j.drain(w, batch)
			return
		}
		batch = j.fill(batch)
		j.write(w, batch)
		batch = batch[:0]
	}
}

// fill adds what is queued without waiting.
func (j *Journal) fill(batch []Record) []Record {
	for len(batch) < maxBatch {
		select {
		case rec := <-j.queue:
			batch = append(batch, rec)
		default:
			return batch
		}
	}
	return batch
}

// drain writes every record still queued at Close.
func (j *Journal) drain(w *writer, batch []Record) {
	for {
		batch = j.fill(batch)
		if len(batch) == 0 {
			return
		}
		j.write(w, batch)
		batch = batch[:0]
	}
}

func (j *Journal) write(w *writer, batch []Record) {
	if err := w.write(batch); err != nil {
		j.dropped.Add(int64(len(batch)))
		j.setErr(fmt.Errorf("incident: journal %s: %w", w.path, err))
		return
	}
	j.setErr(nil)
}

// write appends the batch as one write and one fsync, then rotates the
// file when it has grown past maxBytes.
func (w *writer) write(batch []Record) error {
	w.buf = w.buf[:0]
	for _, rec := range batch {
		b, err := json.Marshal(rec)
		if err != nil {
			continue // cannot happen for these field types
		}
		w.buf = append(append(w.buf, b...), '\n')
	}
	if err := w.reopen(); err != nil {
		return err
	}
	if err := w.f.Append(w.buf); err != nil {
		return err
	}
	if size, err := w.f.Size(); err == nil && size >= w.maxBytes {
		return w.rotate()
	}
	return nil
}

// reopen opens the file when it is not open or no longer the one at path
// (another process sharing the journal rotated it).
func (w *writer) reopen() error {
	if w.f != nil && w.f.Names(w.path) {
		return nil
	}
	w.close()
	f, err := actions.OpenAppendFile(w.path)
	if err != nil {
		return err
	}
	w.f = f
	return nil
}

// rotate shifts events.jsonl.N-1 to .N ... and the file to .1, keeping
// keep old files, then opens a new file.
func (w *writer) rotate() error {
	if !w.f.Names(w.path) {
		return nil // another process rotated it already
	}
	w.close()
	_ = os.Remove(rotated(w.path, w.keep))
	for i := w.keep - 1; i >= 1; i-- {
		if err := os.Rename(rotated(w.path, i), rotated(w.path, i+1)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("rotate: %w", err)
		}
	}
	if err := os.Rename(w.path, rotated(w.path, 1)); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if err := actions.SyncDir(filepath.Dir(w.path)); err != nil {
		return fmt.Errorf("rotate: fsync folder: %w", err)
	}
	return w.reopen()
}

func (w *writer) close() {
	if w.f != nil {
		_ = w.f.Close()
		w.f = nil
	}
}

// rotated is the name of the i-th old file (1 is the newest).
func rotated(path string, i int) string { return fmt.Sprintf("%s.%d", path, i) }
