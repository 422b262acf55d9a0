package serve

import (
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// domainStates is the state set of hvconsole_domain_state and
// hvconsole_vms: libvirt's domain states. A Hyper-V VM's own state word is
// added to its set when it is not one of these.
var domainStates = []string{"running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"}

var statuses = []probes.Status{probes.OK, probes.WARN, probes.CRIT, probes.UNKNOWN}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("hvconsole_"+name, help, labels, nil)
}

// Metric descriptions. Base units; a state set is 1 for the current state.
var (
	descHostUp = desc("host_up",
		"1 when the host answered over SSH in its latest report, else 0.", "host")
	descHypervisorUp = desc("hypervisor_up",
		"1 when the host's hypervisor check is OK or WARN in its latest report, else 0.", "host", "hypervisor")
	descCheckStatus = desc("check_status",
		"State set of each check's status in the host's latest report: 1 for the current status.",
		"host", "check", "status")
	descDomainState = desc("domain_state",
		"State set of each VM's state in the host's latest report: 1 for the current state.",
		"host", "domain", "state")
	descVMs = desc("vms",
		"Number of VMs per state in the host's latest report.", "host", "state")
	descMemory = desc("host_memory_bytes",
		"Host memory from the resources check: total, free, and committed to running VMs.", "host", "kind")
	descProbeDuration = desc("probe_duration_seconds",
		"Time the host's latest probe spent in its checks (the sum of their latencies).", "host")
	descLastReport = desc("last_report_timestamp_seconds",
		"Unix time of the host's latest report. A scrape reads the latest reports and never starts a "+
			"probe: push detection and each host's probe_interval keep them fresh, so alert on "+
			"time() minus this rather than scraping faster.", "host")
	descBackupSuccess = desc("backup_last_success_timestamp_seconds",
		"Unix time of the newest backup file of each backup spec whose verification did not fail "+
			"(its modification time; the backups check judges its age).", "host", "backup")
	descBackupBytes = desc("backup_newest_bytes",
		"Size of the newest backup file of each backup spec.", "host", "backup")
	descPoolFill = desc("storage_pool_fill_ratio",
		"Allocation over capacity of each running libvirt storage pool (0 to 1).", "host", "pool")
	descReady = desc("ready",
		"1 once every inventory host has reported once since start or reload (what /-/ready says).")
	descFiring = desc("alerts_firing",
		"Number of alerts serve has firing now.")
)

// reportCollector turns the latest reports into metrics at scrape time.
type reportCollector struct {
	fleet  *fleetState
	firing func() int
}

// Describe sends every description.
func (c reportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHostUp, descHypervisorUp, descCheckStatus, descDomainState, descVMs,
		descMemory, descProbeDuration, descLastReport, descBackupSuccess, descBackupBytes, descPoolFill,
		descReady, descFiring} {
		ch <- d
	}
}

// Collect reads the fleet state once; it never probes.
func (c reportCollector) Collect(ch chan<- prometheus.Metric) {
	hs, reps, _ := c.fleet.snapshot()
	ready := 0.0
	if c.fleet.isReady() {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(descReady, prometheus.GaugeValue, ready)
	ch <- prometheus.MustNewConstMetric(descFiring, prometheus.GaugeValue, float64(c.firing()))
	for i, rep := range reps {
		if rep.Time.IsZero() {
			continue // not reported yet: no series rather than a made-up value
		}
		collectHost(ch, hs[i], rep)
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func collectHost(ch chan<- prometheus.Metric, h hosts.Host, rep probes.HostReport) {
	name := rep.Host
	ssh, _ := rep.Check(hosts.CheckSSH)
	gauge(ch, descHostUp, boolValue(ssh.Status == probes.OK || ssh.Status == probes.WARN), name)
	if hv, ok := rep.Check(hosts.CheckHypervisor); ok {
		gauge(ch, descHypervisorUp, boolValue(hv.Status == probes.OK || hv.Status == probes.WARN), name, h.Hypervisor)
	}
	var spent time.Duration
	for _, c := range rep.Checks {
		spent += c.Latency
		for _, s := range statuses {
			gauge(ch, descCheckStatus, boolValue(c.Status == s), name, c.Check, s.String())
		}
	}
	gauge(ch, descProbeDuration, spent.Seconds(), name)
	gauge(ch, descLastReport, float64(rep.Time.UnixNano())/1e9, name)
	if h.HasCheck(hosts.CheckVMs) {
		collectVMs(ch, name, rep.VMs)
	}
	collectBackups(ch, name, rep.Backups, rep.Time)
	for _, p := range rep.Pools {
		if p.Capacity > 0 && p.Err == nil {
			gauge(ch, descPoolFill, float64(p.Allocation)/float64(p.Capacity), name, p.Name)
		}
	}
	if r := rep.Resources; r != nil && r.MemTotal > 0 {
		gauge(ch, descMemory, float64(r.MemTotal), name, "total")
		gauge(ch, descMemory, float64(r.MemFree), name, "free")
		gauge(ch, descMemory, float64(r.MemCommitted), name, "committed")
	}
}

// collectBackups exports each spec's newest file. Its time is the report's
// time minus the file's age as the check measured it.
func collectBackups(ch chan<- prometheus.Metric, host string, specs []probes.BackupResult, at time.Time) {
	seen := map[string]bool{}
	for _, b := range specs {
		if b.Newest == "" || seen[b.Spec] {
			continue // no file; or a spec name twice (validation forbids it)
		}
		seen[b.Spec] = true
		gauge(ch, descBackupBytes, float64(b.Size), host, b.Spec)
		if !failedVerify(b.Verify) {
			gauge(ch, descBackupSuccess, float64(at.Add(-b.Age).UnixNano())/1e9, host, b.Spec)
		}
	}
}

// failedVerify tells a newest file that is not a good backup.
func failedVerify(word string) bool {
	switch word {
	case probes.BackupVerifyMismatch, probes.BackupVerifyNoSidecar, probes.BackupVerifyBadSidecar,
		probes.BackupVerifyCorrupt:
		return true
	}
	return false
}

func collectVMs(ch chan<- prometheus.Metric, host string, vms []probes.VM) {
	counts := make(map[string]int, len(domainStates))
	for _, v := range vms {
		counts[v.State]++
		for _, s := range domainStates {
			gauge(ch, descDomainState, boolValue(v.State == s), host, v.Name, s)
		}
		if !slices.Contains(domainStates, v.State) {
			gauge(ch, descDomainState, 1, host, v.Name, v.State)
		}
	}
	for _, s := range domainStates {
		gauge(ch, descVMs, float64(counts[s]), host, s)
	}
	for s, n := range counts {
		if !slices.Contains(domainStates, s) {
			gauge(ch, descVMs, float64(n), host, s)
		}
	}
}

// newRegistry registers serve's metrics, the build info and the Go and
// process collectors; external labels are added to every series.
func newRegistry(fleet *fleetState, firing func() int, external map[string]string, version string) (*prometheus.Registry, *prometheus.CounterVec) {
	reg := prometheus.NewRegistry()
	r := prometheus.WrapRegistererWith(prometheus.Labels(external), reg)
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hvconsole_alerts_sent_total",
		Help: "Alert deliveries per sink (configured URL) by outcome: sent, retried (an attempt failed " +
			"and is retried), dropped (rejected with a 4xx, out of attempts, or pushed out of a full queue)."},
		[]string{"sink", "outcome"})
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "hvconsole_build_info",
		Help:        "Always 1; the labels say which hvconsole build runs.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision(), "goversion": runtime.Version()}})
	build.Set(1)
	r.MustRegister(reportCollector{fleet: fleet, firing: firing}, sent, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, sent
}

// revision is the VCS commit the binary was built from ("unknown" without).
func revision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
