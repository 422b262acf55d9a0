package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/serve"
)

// BenchmarkScale measures the client side at fleet scale against a
// simulated fleet running in another process, so that the figures are the
// client's alone: lab/bench-scale.sh starts `hvconsole demo --serve --hosts
// N --print-config DIR` and runs this with HVBENCH_CONFIG=DIR/config.toml.
// Without HVBENCH_CONFIG it is skipped.
//
// One run is one iteration (use -benchtime 1x): a cold round (a new pool:
// connect and probe, as `check` does), HVBENCH_STEADY steady rounds over
// the open connections, then the memory and descriptors held, then serve's
// collector (Run: the continuous probing the console shares, with its
// libvirt event subscriptions) until every host has reported, measured
// again, with the time of a /metrics scrape. Heap and goroutine profiles
// are written to HVBENCH_OUT (default: the config's directory).
// HVBENCH_CONFIG may list several configs separated by ':' (one per
// simulated fleet process); they are probed as one inventory.
func BenchmarkScale(b *testing.B) {
	path := os.Getenv("HVBENCH_CONFIG")
	if path == "" {
		b.Skip("HVBENCH_CONFIG is not set (lab/bench-scale.sh sets it)")
	}
	out := os.Getenv("HVBENCH_OUT")
	if out == "" {
		out = filepath.Dir(strings.Split(path, ":")[0])
	}
	steady := 3
	if s, err := strconv.Atoi(os.Getenv("HVBENCH_STEADY")); err == nil && s > 0 {
		steady = s
	}
	cfg := loadMerged(b, strings.Split(path, ":"))
	for b.Loop() {
		base := takeSample()
		// GOGC and GOMEMLIMIT pass through: set, they are the operator's
		// and openFleet sets no GC policy of its own.
		env := &environment{getenv: func(k string) string {
			if k == "GOGC" || k == "GOMEMLIMIT" {
				return os.Getenv(k)
			}
			return ""
		}}
		f, err := openFleet(b.Context(), env, cfg)
		if err != nil {
			b.Fatal(err)
		}
		r := measureRounds(b, f.sched, cfg, out, steady)
		r.serving = serveUntilReported(b, cfg, f.sched, func(url string) {
			tag := "serve-" + strconv.Itoa(r.n)
			writeHeapProfile(b, filepath.Join(out, "heap-"+tag+".pprof"))
			writeProfile(b, "goroutine", filepath.Join(out, "goroutines-"+tag+".txt"), 1)
			r.scrape, r.series = timeScrapes(b, url, 5)
			r.idleCPU = pausedCPU(b, f.sched, filepath.Join(out, "cpu-rest-"+strconv.Itoa(r.n)+".pprof"))
		})
		if err := f.Close(); err != nil {
			b.Logf("close: %v", err) // a figure of its own, not a failed measurement
		}
		r.report(b, base)
	}
}

// scaleResult is one run of BenchmarkScale.
type scaleResult struct {
	n, notOK                   int
	cold, steady, scrape       time.Duration
	cpuPerHost                 time.Duration // client CPU per host per steady round
	idleCPU                    restCPU       // CPU used with probing paused
	series                     int
	afterCold, rounds, serving sample
}

// measureRounds runs the cold round and the steady rounds, profiling the
// CPU of the steady ones and the heap after them.
func measureRounds(b *testing.B, s *probes.Scheduler, cfg *hosts.Config, out string, steady int) scaleResult {
	r := scaleResult{n: len(cfg.Hosts)}
	start := time.Now()
	r.notOK = countNotOK(s.Round(b.Context(), cfg.Hosts))
	r.cold = time.Since(start)
	r.afterCold = takeSample()
	// What the steady rounds allocate is this profile's difference from
	// heap-rounds-N.pprof (go tool pprof -sample_index=alloc_space -base).
	writeHeapProfile(b, filepath.Join(out, "heap-cold-"+strconv.Itoa(r.n)+".pprof"))
	stopCPU := startCPUProfile(b, filepath.Join(out, "cpu-steady-"+strconv.Itoa(r.n)+".pprof"))
	cpu0 := processCPU()
	for range steady {
		start = time.Now()
		r.notOK = max(r.notOK, countNotOK(s.Round(b.Context(), cfg.Hosts)))
		r.steady = max(r.steady, time.Since(start))
	}
	r.cpuPerHost = (processCPU() - cpu0) / time.Duration(steady*r.n)
	stopCPU()
	r.rounds = takeSample()
	writeHeapProfile(b, filepath.Join(out, "heap-rounds-"+strconv.Itoa(r.n)+".pprof"))
	return r
}

func (r scaleResult) report(b *testing.B, base sample) {
	n := float64(r.n)
	// Nothing may grow with time at a constant fleet: what the steady
	// rounds added to what the cold round left.
	b.ReportMetric(float64(r.rounds.goroutines-r.afterCold.goroutines), "steady-growth-goroutines")
	b.ReportMetric(float64(r.rounds.fds-r.afterCold.fds), "steady-growth-fds")
	b.ReportMetric(n, "hosts")
	b.ReportMetric(float64(r.notOK), "not-ok")
	b.ReportMetric(r.cold.Seconds(), "cold-s")
	b.ReportMetric(r.steady.Seconds(), "steady-s")
	b.ReportMetric(float64(r.cpuPerHost.Microseconds())/1000, "steady-cpu-ms/host")
	b.ReportMetric(r.scrape.Seconds(), "scrape-s")
	b.ReportMetric(r.idleCPU.process*100, "idle-cpu-%")
	b.ReportMetric(r.idleCPU.fleet*100, "idle-fleet-cpu-%")
	b.ReportMetric(r.idleCPU.machine*100, "idle-machine-cpu-%")
	b.ReportMetric(r.idleCPU.softirq*100, "idle-softirq-%")
	b.ReportMetric(r.idleCPU.probes, "idle-tcp-probes/s")
	b.ReportMetric(float64(r.series)/n, "series/host")
	b.ReportMetric(float64(gcPercentNow()), "gogc")
	for _, m := range []struct {
		s    sample
		name string
	}{{r.rounds, "round"}, {r.serving, "serve"}} {
		b.ReportMetric(float64(m.s.heap-base.heap)/n/1024, m.name+"-heap-KB/host")
		b.ReportMetric(float64(m.s.stack-base.stack)/n/1024, m.name+"-stack-KB/host")
		b.ReportMetric(float64(m.s.goroutines-base.goroutines)/n, m.name+"-goroutines/host")
		b.ReportMetric(float64(m.s.fds-base.fds)/n, m.name+"-fds/host")
		b.ReportMetric(float64(m.s.rss)/(1<<20), m.name+"-rss-MB")
	}
}

// gcPercentNow is the GOGC in effect (the runtime's own view).
func gcPercentNow() uint64 {
	m := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

// sample is what the process holds at one moment, after a GC.
type sample struct {
	heap, stack uint64 // live heap objects, goroutine stacks (bytes)
	goroutines  int
	fds         int
	rss         uint64 // resident set (bytes)
}

func takeSample() sample {
	// Several cycles: each halves the stacks of goroutines that once ran
	// deep (a key exchange) and now wait shallow, as a long run would.
	for range 4 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds, _ := os.ReadDir("/proc/self/fd")
	return sample{heap: m.HeapAlloc, stack: m.StackInuse, goroutines: runtime.NumGoroutine(),
		fds: len(fds), rss: residentBytes()}
}

// residentBytes reads VmRSS from /proc/self/status (0 when unavailable).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// restCPU is the CPU used at rest, each as a share of one core: by this
// process, by the simulated fleet's processes (HVBENCH_FLEET_PIDS), and by
// the whole machine (every process, other users' included, and the
// kernel's softirq work, where TCP keepalive probes are sent and answered;
// softirq also on its own), with the TCP keepalive probes sent a second.
type restCPU struct {
	process, fleet, machine, softirq float64
	probes                           float64
}

// pausedCPU pauses s's rounds, lets the probes in flight end, and returns
// the CPU then used over ten seconds, profiled into profile: what the open
// connections cost at rest (keepalives, idle libvirt sessions). A
// collection runs first and hands the freed memory back to the system at
// once, so neither a cycle owed to the rounds' and scrapes' garbage (0.6 s
// of CPU in one run of two) nor the scavenger's work after it (0.2 s in
// another) lands in the window by chance. The waits are measurement
// windows, not synchronisation.
func pausedCPU(b *testing.B, s *probes.Scheduler, profile string) restCPU {
	s.SetPaused(true)
	defer s.SetPaused(false)
	time.Sleep(5 * time.Second)
	debug.FreeOSMemory()
	const window = 10 * time.Second
	stop := startCPUProfile(b, profile)
	cpu0, fleet0, m0 := processCPU(), fleetCPU(), labtest.ReadMachineTimes()
	time.Sleep(window)
	m := labtest.ReadMachineTimes().Sub(m0)
	stop()
	share := func(d time.Duration) float64 { return float64(d) / float64(window) }
	return restCPU{process: share(processCPU() - cpu0), fleet: share(fleetCPU() - fleet0),
		machine: share(m.Busy), softirq: share(m.Softirq), probes: float64(m.KeepaliveProbes) / window.Seconds()}
}

// fleetCPU is the CPU time the simulated fleet's processes, listed in
// HVBENCH_FLEET_PIDS, used so far.
func fleetCPU() time.Duration {
	var total time.Duration
	for _, pid := range strings.Fields(os.Getenv("HVBENCH_FLEET_PIDS")) {
		total += labtest.ProcessCPU(pid)
	}
	return total
}

// processCPU is the CPU time (user and system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPUProfile profiles the CPU into path until the returned func.
func startCPUProfile(b *testing.B, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

func countNotOK(reps []probes.HostReport) int {
	n := 0
	for _, r := range reps {
		if r.Status == probes.CRIT || r.Status == probes.UNKNOWN {
			n++
		}
	}
	return n
}

func writeHeapProfile(b *testing.B, path string) {
	runtime.GC()
	writeProfile(b, "heap", path, 0)
}

func writeProfile(b *testing.B, name, path string, debug int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, debug); err != nil {
		b.Fatal(err)
	}
}

// loadMerged loads one or more fleet configs (a simulated fleet too large
// for one process's open file limit runs as several) into one inventory,
// host names prefixed by their fleet's index to keep them unique, with the
// demo's cadences for the whole inventory.
func loadMerged(b *testing.B, paths []string) *hosts.Config {
	var cfg *hosts.Config
	for i, p := range paths {
		c, err := hosts.Load(p)
		if err != nil {
			b.Fatal(err)
		}
		if len(paths) > 1 {
			for j := range c.Hosts {
				c.Hosts[j].Name = fmt.Sprintf("f%d-%s", i, c.Hosts[j].Name)
			}
		}
		if cfg == nil {
			cfg = c
			continue
		}
		cfg.Hosts = append(cfg.Hosts, c.Hosts...)
	}
	// Each process's config already has the cadences of the whole fleet
	// (lab/scale-fleet.sh: demo --fleet-hosts).
	// HVBENCH_TCP_KEEPALIVE overrides tcp_keepalive ("0s": off), to weigh
	// the kernel's share of the machine's CPU at rest.
	if v := os.Getenv("HVBENCH_TCP_KEEPALIVE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("HVBENCH_TCP_KEEPALIVE: %v", err)
		}
		cfg.TCPKeepalive = d
	}
	return cfg
}

// serveUntilReported runs `hvconsole serve`'s collector (which drives
// s.Run, as the console does) with its metrics on a loopback port until
// every host has reported twice (bounded by five minutes); it then samples
// the process, calls then with the metrics URL, and stops.
func serveUntilReported(b *testing.B, cfg *hosts.Config, s *probes.Scheduler, then func(url string)) sample {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Serve.Socket = "" // no attach socket
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, serve.Options{Config: cfg, Scheduler: s, MetricsListener: ln,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "bench"})
	}()
	url := "http://" + ln.Addr().String() + "/metrics"
	// Every host reported, then every host reported again (its last report
	// time moved): Run's steady state, the console's and serve's.
	var first map[string]string
	for {
		select {
		case <-ctx.Done():
			b.Fatalf("not every host reported twice in 5 minutes")
		case <-time.After(time.Second):
		}
		body, _ := scrapeOnce(url)
		last := lastReports(body)
		if len(last) < len(cfg.Hosts) {
			continue
		}
		if first == nil {
			first = last
			continue
		}
		if allMoved(first, last) {
			break
		}
	}
	smp := takeSample()
	then(url)
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		b.Error(err)
	}
	return smp
}

// lastReports maps each host's last report time series to its value.
func lastReports(body string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(body) {
		if series, value, ok := strings.Cut(strings.TrimSpace(line), " "); ok &&
			strings.HasPrefix(series, "hvconsole_last_report_timestamp_seconds{") {
			m[series] = value
		}
	}
	return m
}

// allMoved reports whether every series of first has a new value in last.
func allMoved(first, last map[string]string) bool {
	for k, v := range first {
		if last[k] == v {
			return false
		}
	}
	return true
}

func scrapeOnce(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// timeScrapes scrapes url k times and returns the slowest and the number
// of series in the last. The scraper reads the exposition as it comes
// (counting the series) instead of holding it: its own garbage (a 15 MB
// body read whole, then copied into a string, at 10,000 hosts) would
// otherwise be collected at the collector's expense, in its process;
// Prometheus reads in its own.
func timeScrapes(b *testing.B, url string, k int) (time.Duration, int) {
	var worst time.Duration
	series := 0
	for range k {
		start := time.Now()
		var err error
		if series, err = countSeries(url); err != nil {
			b.Fatal(err)
		}
		worst = max(worst, time.Since(start))
	}
	return worst, series
}

// countSeries scrapes url and counts the series (lines not comments).
func countSeries(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 && line[0] != '#' {
			n++
		}
	}
	return n, sc.Err()
}
