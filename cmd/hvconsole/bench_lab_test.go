package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
)

// The fleet benchmarks probe every lab host: lab/bench-fleet.sh runs them
// on a 50-host lab. They report the round time (ns/op) and what the hosts
// spent on it: host CPU per host per round, from /proc, summed over every
// process in the hosts' mount namespaces (sshd, its sessions, libvirtd).

func benchFleet(b *testing.B) (*labtest.Lab, *hosts.Config) {
	lab := labtest.Require(b)
	cfg, err := hosts.Load(lab.ConfigPath)
	if err != nil {
		b.Fatal(err)
	}
	return lab, cfg
}

func newBenchScheduler(cfg *hosts.Config) (*sshx.Pool, *probes.Scheduler) {
	pool := sshx.NewPool(sshx.Options{KeepaliveInterval: cfg.KeepaliveInterval, MaxHandshakes: cfg.MaxHandshakes})
	return pool, probes.NewScheduler(cfg, probes.NewSSHTransport(pool), probes.SchedulerOptions{})
}

func requireOK(b *testing.B, reps []probes.HostReport) {
	for _, r := range reps {
		if r.Status == probes.CRIT || r.Status == probes.UNKNOWN {
			w, _ := r.Worst()
			b.Fatalf("%s is %s (%s: %s): the benchmark needs a healthy lab", r.Host, r.Status, w.Check, w.Summary)
		}
	}
}

// BenchmarkLabColdRound connects to every host and probes it: a new pool
// per round, as a cron `hvconsole check` does.
func BenchmarkLabColdRound(b *testing.B) {
	lab, cfg := benchFleet(b)
	before := labCPU(b, lab)
	for b.Loop() {
		pool, s := newBenchScheduler(cfg)
		requireOK(b, s.Round(b.Context(), cfg.Hosts))
		_ = s.Close()
		_ = pool.Close()
	}
	reportHostCPU(b, lab, before, len(cfg.Hosts))
}

// BenchmarkLabSteadyRound probes every host over connections already open,
// as the console does after its first round.
func BenchmarkLabSteadyRound(b *testing.B) {
	lab, cfg := benchFleet(b)
	pool, s := newBenchScheduler(cfg)
	defer pool.Close()
	defer s.Close()
	requireOK(b, s.Round(b.Context(), cfg.Hosts))
	before := labCPU(b, lab)
	for b.Loop() {
		requireOK(b, s.Round(b.Context(), cfg.Hosts))
	}
	reportHostCPU(b, lab, before, len(cfg.Hosts))
}

func reportHostCPU(b *testing.B, lab *labtest.Lab, before float64, hostCount int) {
	spent := labCPU(b, lab) - before
	b.ReportMetric(spent*1000/float64(b.N)/float64(hostCount), "host-cpu-ms/host/round")
	b.ReportMetric(float64(hostCount), "hosts")
}

// labCPU is the CPU seconds used so far by every process in a lab host's
// mount namespace, reaped children included.
func labCPU(b *testing.B, lab *labtest.Lab) float64 {
	table, err := os.ReadFile(filepath.Join(lab.Dir, "hosts.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	ns := map[string]bool{}
	for _, line := range strings.Split(string(table), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 6 && !strings.HasPrefix(line, "#") {
			ns["mnt:["+f[5]+"]"] = true
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, p := range procs {
		if link, err := os.Readlink(p + "/ns/mnt"); err != nil || !ns[link] {
			continue
		}
		stat, err := os.ReadFile(p + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// Fields after the ")" that ends the command name: utime is the
		// 14th field of the line, then stime, cutime, cstime.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		f := strings.Fields(rest)
		for _, i := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += v
		}
	}
	return float64(ticks) / 100 // USER_HZ is 100 on Linux
}
