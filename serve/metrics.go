package serve

import (
	"cmp"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// domainStates are libvirt's domain states: hvconsole_vms always counts
// running, and each is a shared label value. A Hyper-V VM's own state word
// is used as is when it is not one of these.
var domainStates = []string{"running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"}

// maxOtherStates bounds hvconsole_vms' states outside domainStates per
// host (a Hyper-V host names its own); the rest are counted as "other".
const maxOtherStates = 8

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("hvconsole_"+name, help, labels, nil)
}

// family is one per-host metric of the fleet; its series are built from
// each report (series.go).
type family int

// The fleet's metric families, in the order their series are kept.
const (
	famHostUp family = iota
	famHypervisorUp
	famCheckStatus
	famProbeDuration
	famLastReport
	famVMs
	famDomainState
	famDomainsOmitted
	famBackupSuccess
	famBackupBytes
	famPoolFill
	famMemory
	numFamilies
)

// familyDef names a family and its labels (host first). Base units; a
// value that is a state is a label of a series whose value is 1.
type familyDef struct {
	name, help string
	labels     []string
}

var families = [numFamilies]familyDef{
	famHostUp: {"hvconsole_host_up",
		"1 when the host answered over SSH in its latest report, else 0.", []string{"host"}},
	famHypervisorUp: {"hvconsole_hypervisor_up",
		"1 when the host's hypervisor check is OK or WARN in its latest report, else 0.", []string{"host", "hypervisor"}},
	famCheckStatus: {"hvconsole_check_status",
		"Status of each check in the host's latest report: 1, in the series whose status label is the " +
			"current status (the other statuses have no series).", []string{"host", "check", "status"}},
	famProbeDuration: {"hvconsole_probe_duration_seconds",
		"Time the host's latest probe spent in its checks (the sum of their latencies).", []string{"host"}},
	famLastReport: {"hvconsole_last_report_timestamp_seconds",
		"Unix time of the host's latest report. A scrape reads the latest reports and never starts a " +
			"probe: push detection and each host's probe_interval keep them fresh, so alert on " +
			"time() minus this rather than scraping faster.", []string{"host"}},
	famVMs: {"hvconsole_vms",
		"Number of VMs per state in the host's latest report, every VM counted; a state no VM is in has " +
			"no series, except running; no series while the VM list could not be read (the vms check UNKNOWN).",
		[]string{"host", "state"}},
	famDomainState: {"hvconsole_domain_state",
		"State of each VM in the host's latest report: 1, in the series whose state label is its state; " +
			"at most [serve] max_domain_series VMs per host, those not running or not OK first.",
		[]string{"host", "domain", "state"}},
	famDomainsOmitted: {"hvconsole_domains_omitted",
		"Number of the host's VMs without an hvconsole_domain_state series (beyond [serve] max_domain_series); " +
			"no series when every VM has one.",
		[]string{"host"}},
	famBackupSuccess: {"hvconsole_backup_last_success_timestamp_seconds",
		"Unix time of the newest backup file of each backup spec whose verification did not fail " +
			"(its modification time; the backups check judges its age).", []string{"host", "backup"}},
	famBackupBytes: {"hvconsole_backup_newest_bytes",
		"Size of the newest backup file of each backup spec.", []string{"host", "backup"}},
	famPoolFill: {"hvconsole_storage_pool_fill_ratio",
		"Allocation over capacity of each running libvirt storage pool (0 to 1).", []string{"host", "pool"}},
	famMemory: {"hvconsole_host_memory_bytes",
		"Host memory from the resources check: total, free, and committed to running VMs.", []string{"host", "kind"}},
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collectHost emits the series of one reported host.
func (b *seriesBuilder) collectHost(h hosts.Host, rep probes.HostReport) {
	ssh, _ := rep.Check(hosts.CheckSSH)
	b.emit(famHostUp, boolValue(ssh.Status == probes.OK || ssh.Status == probes.WARN))
	if hv, ok := rep.Check(hosts.CheckHypervisor); ok {
		b.emit(famHypervisorUp, boolValue(hv.Status == probes.OK || hv.Status == probes.WARN), h.Hypervisor)
	}
	var spent time.Duration
	for _, c := range rep.Checks {
		spent += c.Latency
		b.emit(famCheckStatus, 1, c.Check, c.Status.String())
	}
	b.emit(famProbeDuration, spent.Seconds())
	b.emit(famLastReport, float64(rep.Time.UnixNano())/1e9)
	if h.HasCheck(hosts.CheckVMs) && vmsRead(rep) {
		b.collectVMs(rep.VMs)
	}
	b.collectBackups(rep.Backups, rep.Time)
	seen := map[string]bool{}
	for _, p := range rep.Pools {
		if name := labelValue(p.Name); p.Capacity > 0 && p.Err == nil && !seen[name] {
			seen[name] = true // a pool name twice is the remote host's error, not a second series
			b.emit(famPoolFill, float64(p.Allocation)/float64(p.Capacity), name)
		}
	}
	if r := rep.Resources; r != nil && r.MemTotal > 0 {
		b.emit(famMemory, float64(r.MemTotal), "total")
		b.emit(famMemory, float64(r.MemFree), "free")
		b.emit(famMemory, float64(r.MemCommitted), "committed")
	}
}

// vmsRead reports whether rep's VM list was read in its round: the vms
// check has a status other than UNKNOWN and the list is not the last one
// read (VMsAsOf, kept for the console's blast radius). A list not read
// gives no VM series at all, so hvconsole_vms{state="running"} never says
// 0 of a host whose VMs nobody could count.
func vmsRead(rep probes.HostReport) bool {
	c, ok := rep.Check(hosts.CheckVMs)
	return ok && c.Status != probes.UNKNOWN && rep.VMsAsOf.IsZero()
}

// collectBackups exports each spec's newest file. Its time is the report's
// time minus the file's age as the check measured it.
func (b *seriesBuilder) collectBackups(specs []probes.BackupResult, at time.Time) {
	seen := map[string]bool{}
	for _, s := range specs {
		if s.Newest == "" || seen[s.Spec] {
			continue // no file; or a spec name twice (validation forbids it)
		}
		seen[s.Spec] = true
		b.emit(famBackupBytes, float64(s.Size), s.Spec)
		if !failedVerify(s.Verify) {
			b.emit(famBackupSuccess, float64(at.Add(-s.Age).UnixNano())/1e9, s.Spec)
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

// collectVMs counts every VM by state and gives at most maxDomains of
// them a series of their own: those not OK first, then those not running
// (what an operator looks for), each group in the report's order.
func (b *seriesBuilder) collectVMs(vms []probes.VM) {
	counts := map[string]int{"running": 0}
	seen := make(map[string]bool, len(vms))
	listed := make([]probes.VM, 0, len(vms))
	for _, v := range vms {
		v.Name, v.State = labelValue(v.Name), labelValue(v.State)
		counts[v.State]++
		if !seen[v.Name] { // a name twice is the remote host's error, not a second series
			seen[v.Name] = true
			listed = append(listed, v)
		}
	}
	b.collectCounts(counts)
	slices.SortStableFunc(listed, func(x, y probes.VM) int { return cmp.Compare(vmRank(x), vmRank(y)) })
	shown := min(len(listed), b.maxDomains)
	for _, v := range listed[:shown] {
		b.emit(famDomainState, 1, v.Name, v.State)
	}
	if shown < len(listed) {
		b.emit(famDomainsOmitted, float64(len(listed)-shown))
	}
}

// vmRank orders VMs for the domain cap: not OK, not running, the rest.
func vmRank(v probes.VM) int {
	switch {
	case v.Status != probes.OK:
		return 0
	case v.State != "running":
		return 1
	}
	return 2
}

// collectCounts emits hvconsole_vms: libvirt's states in their order, then
// at most maxOtherStates other words by name, the rest as "other".
func (b *seriesBuilder) collectCounts(counts map[string]int) {
	for _, s := range domainStates {
		if n, ok := counts[s]; ok {
			b.emit(famVMs, float64(n), s)
			delete(counts, s)
		}
	}
	others := slices.Sorted(func(yield func(string) bool) {
		for s := range counts {
			if !yield(s) {
				return
			}
		}
	})
	rest := 0
	for i, s := range others {
		if i < maxOtherStates && s != "other" {
			b.emit(famVMs, float64(counts[s]), s)
		} else {
			rest += counts[s]
		}
	}
	if rest > 0 {
		b.emit(famVMs, float64(rest), "other")
	}
}

// newRegistry registers serve's metrics other than the fleet's (readiness,
// alerts, the build info, the Go and process collectors); external labels
// are added to every series.
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
	ready := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hvconsole_ready",
		Help: "1 once every inventory host has reported once since start or reload (what /-/ready says)."},
		func() float64 { return boolValue(fleet.isReady()) })
	firingNow := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hvconsole_alerts_firing",
		Help: "Number of alerts serve has firing now."}, func() float64 { return float64(firing()) })
	r.MustRegister(sent, build, ready, firingNow,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, sent
}

// newSilenceMetrics registers the silencer's metrics (silences.go), with
// the external labels.
func newSilenceMetrics(reg *prometheus.Registry, external map[string]string) silenceMetrics {
	m := silenceMetrics{
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hvconsole_silences_pending",
			Help: "Ack silences whose creation on an Alertmanager failed and is being retried (one per ack " +
				"and Alertmanager)."}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hvconsole_silences_total",
			Help: "Ack silence creation attempts per Alertmanager (configured URL) by outcome: created, retried " +
				"(the attempt failed and is retried), refused (a 4xx, not retried)."},
			[]string{"alertmanager", "outcome"}),
	}
	prometheus.WrapRegistererWith(prometheus.Labels(external), reg).MustRegister(m.pending, m.outcomes)
	return m
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
