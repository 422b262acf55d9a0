package main

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
)

// The process memory limit is a backstop behind the per-reply bounds in
// the probes (no libvirt reply or remote output makes hvconsole allocate
// more than a small multiple of the bytes received): with a soft limit the
// Go runtime collects harder as the heap nears it, so garbage left by many
// hosts at once does not grow the process into the kernel's OOM killer.
// It cannot stop one huge allocation; the bounds do that. The limit is
// three quarters of the machine's memory, or of the cgroup's memory.max
// when that is lower; GOMEMLIMIT, when set, is the operator's choice and
// is kept (the runtime has already applied it).

// memLimitShare is the part of the available memory the process may use.
const memLimitShare = 0.75

// setMemoryLimit applies memoryLimit to the runtime and returns it (0 when
// nothing was set).
func setMemoryLimit(getenv func(string) string) int64 {
	limit := memoryLimit(getenv, os.ReadFile)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return limit
}

// memoryLimit is the limit to set, 0 to leave the runtime's alone.
func memoryLimit(getenv func(string) string, readFile func(string) ([]byte, error)) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	avail := memTotal(readFile)
	if b, err := readFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 &&
			(avail == 0 || n < avail) {
			avail = n
		}
	}
	if avail <= 0 {
		return 0
	}
	return int64(math.Round(float64(avail) * memLimitShare))
}

// The collector's pace. By default (GOGC=100) the Go runtime lets the
// heap grow by as much as is live (heap and goroutine stacks) before it
// collects again. hvconsole's live memory grows with the fleet (its
// connections, sessions, probers and reports: ~75 KB per host in serve and
// the console at 10,000 demo hosts, README "Scale"), so that headroom does
// too: ~0.75 GB at 10,000 hosts. For a fleet large enough, hvconsole lowers
// GOGC so the headroom stays near gcHeadroom; GOGC and GOMEMLIMIT, when
// set, are the operator's and hvconsole sets neither. The cost is more
// collections of the same live memory: each at 10,000 hosts marks ~0.46 GB
// of heap and ~76,000 goroutine stacks. Measured with lab/bench-procs.sh
// at 10,000 hosts (the real console and serve, probing without pause):
// GOGC 40 held 1,030 MiB in each, 25 (this headroom) 933-960 MiB; the
// price is CPU, per steady round (README "Scale"), hence the floor.
const (
	// gcHeadroom is what the heap may grow past the live memory before a
	// collection, for fleets where GOGC=100 would give more.
	gcHeadroom = 192 << 20
	// liveBytesPerHost is the live memory per host the headroom is
	// reckoned from (heap and stacks of serve and of the console at
	// 10,000 demo hosts, rounded up).
	liveBytesPerHost = 76 << 10
	// minGCPercent bounds the collections' cost for fleets larger still:
	// at most four times as many as by default.
	minGCPercent = 25
)

// gcPercent is the GOGC for a fleet of n hosts: Go's default 100 while
// that keeps the headroom under gcHeadroom (up to ~2,600 hosts), else the
// percent that gives gcHeadroom, never under minGCPercent.
func gcPercent(n int) int {
	if n <= 0 {
		return 100
	}
	p := int64(gcHeadroom) * 100 / (int64(liveBytesPerHost) * int64(n))
	return int(min(100, max(minGCPercent, p)))
}

// setGCPercent applies gcPercent(n) and returns it, or returns 0 and sets
// nothing when GOGC or GOMEMLIMIT is set.
func setGCPercent(n int, getenv func(string) string) int {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0
	}
	p := gcPercent(n)
	debug.SetGCPercent(p)
	return p
}

// withGCPolicy wraps a config reload: a config that loads sets the GOGC of
// its fleet's size (setGCPercent), as openFleet did for the first, so a
// fleet that grows or shrinks past ~2,600 hosts gets its collector's pace.
func withGCPolicy(getenv func(string) string, load func() (*hosts.Config, error)) func() (*hosts.Config, error) {
	return func() (*hosts.Config, error) {
		cfg, err := load()
		if err == nil {
			setGCPercent(len(cfg.Hosts), getenv)
		}
		return cfg, err
	}
}

// memTotal is MemTotal from /proc/meminfo in bytes, 0 when unknown.
func memTotal(readFile func(string) ([]byte, error)) int64 {
	b, err := readFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb > 0 && kb < math.MaxInt64>>10 {
				return kb << 10
			}
		}
	}
	return 0
}
