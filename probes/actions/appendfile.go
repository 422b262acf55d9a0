package actions

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hvconsole/hvconsole/hosts"
)

// AppendFile is an append-only JSON-lines file kept under the audit log's
// rules (see openAuditFile: no symlink, a regular file of ours with one
// name, mode 0600, new folders fsynced). Each Append is whole or absent: a
// write cut short is cut back off the file. The audit log and the incident
// journal both write through it. It is not safe for concurrent use; its
// owner serialises calls.
type AppendFile struct {
	f *os.File
	// broken is why the file may hold a partial record (a failed write
	// could not be cut back): every later Append is refused until the
	// file is reopened, since a record appended to a fragment is
	// unreadable.
	broken error
}

// ErrAuditBroken refuses writes after a partial record could not be removed.
var ErrAuditBroken = errors.New("audit log holds a partial record; reopen it")

// OpenAppendFile opens (creating with its folders) the file at path.
func OpenAppendFile(path string) (*AppendFile, error) { return openAppendFile(path, syncDir) }

func openAppendFile(path string, sync func(dir string) error) (*AppendFile, error) {
	f, err := openAuditFile(path, sync)
	if err != nil {
		return nil, err
	}
	return &AppendFile{f: f}, nil
}

// Path is the name the file was opened with.
func (a *AppendFile) Path() string { return a.f.Name() }

// Append writes b (one or more whole lines) and fsyncs it, holding an
// exclusive flock so that two processes sharing the file never cut each
// other's record.
func (a *AppendFile) Append(b []byte) error {
	if a.broken != nil {
		return fmt.Errorf("%w: %w", ErrAuditBroken, a.broken)
	}
	unlock, err := hosts.LockFile(a.f)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer unlock()
	fi, err := a.f.Stat()
	if err != nil {
		return err
	}
	if err := a.write(b); err != nil {
		// Not confirmed on disk: cut it back so the next record starts on
		// a line of its own, and make that cut durable too.
		if terr := errors.Join(a.f.Truncate(fi.Size()), a.f.Sync()); terr != nil {
			a.broken = fmt.Errorf("%w (cutting it back: %w)", err, terr)
		}
		return err
	}
	return nil
}

// write writes b whole and fsyncs it.
func (a *AppendFile) write(b []byte) error {
	n, err := a.f.Write(b)
	switch {
	case err != nil:
		return err
	case n != len(b):
		return io.ErrShortWrite
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	return nil
}

// Size is the file's current size.
func (a *AppendFile) Size() (int64, error) {
	fi, err := a.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Names reports whether path still names this file (another process may
// have rotated it away).
func (a *AppendFile) Names(path string) bool {
	mine, err := a.f.Stat()
	if err != nil {
		return false
	}
	cur, err := os.Lstat(path)
	return err == nil && os.SameFile(mine, cur)
}

// Close closes the file.
func (a *AppendFile) Close() error { return a.f.Close() }

// SyncDir fsyncs a folder so the entries made in it (a rename) survive a
// crash.
func SyncDir(dir string) error { return syncDir(dir) }
