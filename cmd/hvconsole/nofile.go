package main

import (
	"fmt"
	"syscall"
)

// Open file limits. Every host holds one socket for the life of its
// connection (to the host, or to the first jump host of its chain; later
// hops are channels inside it), so a fleet of N hosts needs N descriptors
// plus a few for the process itself. The Go runtime already raises the
// soft RLIMIT_NOFILE to the hard limit at start (since Go 1.19); when the
// fleet needs more than that, hvconsole asks for more (which only a
// privileged process gets) and otherwise refuses to start with one line
// saying why, before connecting anything: hundreds of hosts failing one by
// one with "too many open files" would say nothing useful.

// fdReserve is what the process needs besides its hosts: standard streams,
// the terminal, the audit log, the runtime's poller, listeners of serve,
// the agent socket, files read while running.
const fdReserve = 64

// rlimit reads and sets RLIMIT_NOFILE; tests swap it.
type rlimit struct {
	get func(*syscall.Rlimit) error
	set func(*syscall.Rlimit) error
}

var processRlimit = rlimit{
	get: func(l *syscall.Rlimit) error { return syscall.Getrlimit(syscall.RLIMIT_NOFILE, l) },
	set: func(l *syscall.Rlimit) error { return syscall.Setrlimit(syscall.RLIMIT_NOFILE, l) },
}

// errTooManyHosts refuses a fleet that does not fit the open file limit.
type errTooManyHosts struct {
	hosts            int
	need, soft, hard uint64
}

func (e *errTooManyHosts) Error() string {
	return fmt.Sprintf("%d hosts need about %d open files but the limit is %d (hard limit %d): "+
		"raise it (ulimit -n, LimitNOFILE= in a unit) or split the inventory; nothing was connected",
		e.hosts, e.need, e.soft, e.hard)
}

// fleetFiles is the open files a client of n hosts needs.
func fleetFiles(n int) uint64 { return uint64(n) + fdReserve }

// ensureFileLimit makes room for need open files for a fleet of n hosts,
// or says in one error why it cannot.
func ensureFileLimit(n int, need uint64, rl rlimit) error {
	var lim syscall.Rlimit
	if err := rl.get(&lim); err != nil || lim.Cur >= need {
		return nil // nothing to read, or room enough
	}
	if lim.Max >= need && rl.set(&syscall.Rlimit{Cur: need, Max: lim.Max}) == nil {
		return nil
	}
	if lim.Max < need && rl.set(&syscall.Rlimit{Cur: need, Max: need}) == nil {
		return nil // a privileged process may raise the hard limit
	}
	return &errTooManyHosts{hosts: n, need: need, soft: lim.Cur, hard: lim.Max}
}
