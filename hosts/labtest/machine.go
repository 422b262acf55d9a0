package labtest

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// MachineTimes are whole-machine counters for benchmarks that weigh work
// no process is charged for (the kernel's TCP keepalive: its probes are
// sent and answered in softirq context). Take two and subtract.
type MachineTimes struct {
	// Busy is all CPU time but idle and iowait, summed over the cores;
	// Softirq the part of it spent in softirq (from /proc/stat).
	Busy, Softirq time.Duration
	// KeepaliveProbes is TcpExt TCPKeepAlive (/proc/net/netstat): the TCP
	// keepalive probes this network namespace's kernel sent.
	KeepaliveProbes int64
}

// clockTick is the unit of /proc/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// ReadMachineTimes reads the counters now; what cannot be read stays 0.
func ReadMachineTimes() MachineTimes {
	var m MachineTimes
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		if len(f) >= 9 && f[0] == "cpu" {
			for i, v := range f[1:9] {
				t, _ := strconv.ParseInt(v, 10, 64)
				switch i {
				case 3, 4: // idle, iowait
					continue
				case 6:
					m.Softirq = time.Duration(t) * clockTick
				}
				m.Busy += time.Duration(t) * clockTick
			}
		}
	}
	m.KeepaliveProbes = netstat("TcpExt:", "TCPKeepAlive")
	return m
}

// Sub is m - o, counter by counter.
func (m MachineTimes) Sub(o MachineTimes) MachineTimes {
	return MachineTimes{Busy: m.Busy - o.Busy, Softirq: m.Softirq - o.Softirq,
		KeepaliveProbes: m.KeepaliveProbes - o.KeepaliveProbes}
}

// netstat reads one counter of /proc/net/netstat, whose sections are a
// line of names and a line of values, each starting with the section.
func netstat(section, name string) int64 {
	data, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return 0
	}
	var head []string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != section {
			continue
		}
		if head == nil {
			head = f
			continue
		}
		for i, h := range head {
			if h == name && i < len(f) {
				n, _ := strconv.ParseInt(f[i], 10, 64)
				return n
			}
		}
		return 0
	}
	return 0
}

// ProcessCPU is the CPU time (user and system) process pid used so far,
// from /proc/PID/stat (0 when it cannot be read).
func ProcessCPU(pid string) time.Duration {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	return statCPU(string(b))
}

// statCPU is utime + stime of a /proc/PID/stat line (fields 14 and 15), 0
// when the line is short. The name (field 2) may hold spaces and ") ", so
// the fields are counted from the last ')', which ends it.
func statCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * clockTick
}
