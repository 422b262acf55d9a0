package main

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
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
