package serve

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// demoVMNames are the synthetic fleet's VM names.
var demoVMNames = []string{"web-01", "web-02", "db-primary", "db-replica", "cache", "queue", "build-agent", "monitoring"}

// demoFleet is n hosts shaped like `hvconsole demo`'s: the ssh,
// hypervisor, vms, kvm and backups checks, one backup spec, and 3 to 8 VMs
// (5.5 on average), one paused and one shut off, the others running.
func demoFleet(n int) ([]hosts.Host, []probes.HostReport) {
	checks := []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs, hosts.CheckKVM, hosts.CheckBackups}
	hs := make([]hosts.Host, n)
	reps := make([]probes.HostReport, n)
	for i := range n {
		name := fmt.Sprintf("demo-%05d", i+1)
		hs[i] = hosts.Host{Name: name, Hypervisor: hosts.KindLibvirt, Checks: checks}
		rep := probes.HostReport{Host: name, Kind: hosts.KindLibvirt, Time: t0.Add(time.Duration(i) * time.Millisecond)}
		for _, c := range checks {
			rep.Checks = append(rep.Checks, probes.Result{Host: name, Check: c, Status: probes.OK,
				Summary: c + " ok", Latency: 3 * time.Millisecond, Time: rep.Time})
		}
		vms := 3 + i%6
		for j := range vms {
			vm := probes.VM{Name: demoVMNames[j], State: "running", Reason: "booted", Autostart: true}
			switch j {
			case vms - 1:
				vm = probes.VM{Name: demoVMNames[j], State: "shutoff", Reason: "shutdown"}
			case vms - 2:
				vm = probes.VM{Name: demoVMNames[j], State: "paused", Reason: "user"}
			}
			rep.VMs = append(rep.VMs, vm)
		}
		rep.Backups = []probes.BackupResult{{Spec: "nightly", Newest: "/srv/backups/web-01.qcow2", Age: time.Hour,
			Size: 2 << 30, Verify: probes.BackupVerifyOK}}
		reps[i] = rep
	}
	return hs, reps
}

// BenchmarkScrape is one /metrics scrape of serve at 1,000 and 10,000
// synthetic hosts (their reports stored in the fleet state as serve's loop
// stores them; no network: the handler is called in-process), gzip as
// Prometheus asks for it. It reports the series per host, the compressed
// and plain sizes of the exposition, and the heap serve's fleet state
// holds per host (its copy of each report, the index, the series).
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) { benchScrape(b, n) })
	}
}

func benchScrape(b *testing.B, n int) {
	hs, reps := demoFleet(n)
	heap0 := liveHeap()
	fleet := newFleetState(hs, newSeriesBuilder(map[string]string{"site": "dc1"}, hosts.DefaultMaxDomainSeries))
	for _, rep := range reps {
		fleet.put(rep)
	}
	held := liveHeap() - heap0
	reg, _ := newRegistry(fleet, func() int { return 0 }, map[string]string{"site": "dc1"}, "bench")
	h, err := metricsHandler(reg, fleet, "bench", slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	scrape := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("scrape = %d: %s", rec.Code, rec.Body)
		}
		return rec
	}
	last := scrape()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		last = scrape()
	}
	b.StopTimer()
	// CPU time says what a scrape costs whatever else runs on the machine.
	b.ReportMetric(float64((processCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	plain := gunzip(b, last.Body.Bytes())
	series := 0
	for line := range bytes.Lines(plain) {
		if len(line) > 0 && line[0] != '#' {
			series++
		}
	}
	b.ReportMetric(float64(series)/float64(n), "series/host")
	b.ReportMetric(float64(last.Body.Len())/(1<<20), "gzip-MB")
	b.ReportMetric(float64(len(plain))/(1<<20), "text-MB")
	b.ReportMetric(float64(held)/float64(n)/1024, "fleet-KB/host")
	runtime.KeepAlive(fleet)
	runtime.KeepAlive(hs) // the config's inventory and the scheduler's reports, which serve shares
	runtime.KeepAlive(reps)
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// processCPU is the CPU time (user and system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func gunzip(b *testing.B, body []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	return plain
}

// BenchmarkSeriesBuild is one host's series built from its report, as
// serve's loop builds them each time it stores a report.
func BenchmarkSeriesBuild(b *testing.B) {
	hs, reps := demoFleet(100)
	sb := newSeriesBuilder(map[string]string{"site": "dc1"}, hosts.DefaultMaxDomainSeries)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sb.build(hs[i%len(hs)], reps[i%len(reps)])
	}
}
