package hosts

import (
	"os"
	"syscall"
)

// LockFile takes an exclusive flock on f and returns its release. flock
// locks belong to the open file, so two handles on one file exclude each
// other within a process as they do across processes (the audit log's
// appends, the drills file's read-modify-write shared by a console and a
// serve).
func LockFile(f *os.File) (func(), error) {
	raw, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	lock := func(how int) (err error) {
		if cerr := raw.Control(func(fd uintptr) { err = syscall.Flock(int(fd), how) }); cerr != nil {
			return cerr
		}
		return err
	}
	if err := lock(syscall.LOCK_EX); err != nil {
		return nil, err
	}
	return func() { _ = lock(syscall.LOCK_UN) }, nil
}
