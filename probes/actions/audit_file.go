package actions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// auditMode is the only mode the audit file keeps: it names hosts, users
// and commands.
const auditMode = 0o600

// openAuditFile opens path for appending and makes sure it is the file we
// mean to write: not a symlink (O_NOFOLLOW), a regular file (a FIFO is
// opened non-blocking so it fails instead of hanging), owned by this user,
// with one name (no hard link to a file elsewhere), mode 0600. An existing
// file with a wider mode is tightened with fchmod rather than refused: it
// is ours, and refusing would stop every action after an upgrade. Folders
// and the file it creates are made durable by fsyncing the folder that
// gained each entry.
func openAuditFile(path string, sync func(dir string) error) (*os.File, error) {
	dir := filepath.Dir(path)
	newDirs := missingDirs(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	created := true
	f, err := os.OpenFile(path, auditFlags|os.O_CREATE|os.O_EXCL, auditMode)
	if errors.Is(err, os.ErrExist) {
		created = false
		f, err = os.OpenFile(path, auditFlags, auditMode)
	}
	if errors.Is(err, syscall.ELOOP) {
		return nil, errors.New("is a symlink; refusing to follow it")
	}
	if err != nil {
		return nil, err
	}
	if err := checkAuditFile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	if created {
		for _, d := range append([]string{dir}, parents(newDirs)...) {
			if err := sync(d); err != nil {
				_ = f.Close()
				return nil, fmt.Errorf("fsync folder %s: %w", d, err)
			}
		}
	}
	return f, nil
}

const auditFlags = os.O_WRONLY | os.O_APPEND | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC

// checkAuditFile refuses anything but a regular file of ours with one link,
// and sets its mode to 0600.
func checkAuditFile(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	case !ok:
		return errors.New("cannot read the file's owner")
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("owned by uid %d, not by this user (uid %d)", st.Uid, os.Geteuid())
	case st.Nlink != 1:
		return fmt.Errorf("has %d hard links; the audit file must have one name", st.Nlink)
	}
	if fi.Mode().Perm() != auditMode {
		if err := f.Chmod(auditMode); err != nil {
			return fmt.Errorf("tightening mode %v to 0600: %w", fi.Mode().Perm(), err)
		}
	}
	return nil
}

// missingDirs lists dir and those of its ancestors that do not exist yet,
// innermost first.
func missingDirs(dir string) []string {
	var out []string
	for d := dir; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		out = append(out, d)
	}
	return out
}

// parents returns the folder holding each of dirs.
func parents(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = filepath.Dir(d)
	}
	return out
}

// syncDir fsyncs a folder so the entries created in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
