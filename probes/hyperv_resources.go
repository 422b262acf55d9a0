package probes

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hyperVLimits are the resources thresholds of a host: the config's, or the
// documented defaults for a Host built in code with none set.
func hyperVLimits(h hosts.Host) hosts.Host {
	if h.MemFreeWarn == 0 && h.MemFreeCrit == 0 && h.DiskUseWarn == 0 && h.DiskUseCrit == 0 && h.LoadPerCPUWarn == 0 {
		h.MemFreeWarn, h.MemFreeCrit, h.DiskUseWarn, h.DiskUseCrit, h.LoadPerCPUWarn = 10, 5, 85, 95, 2
	}
	return h
}

// hyperVResourcesResult rates memory, disks and load with the same
// thresholds as KVM hosts: free memory below mem_free_warn/crit, disk use
// above disk_use_warn/crit, load per CPU above load_per_cpu_warn. A storage
// path that does not exist or cannot be measured is WARN.
func hyperVResourcesResult(h hosts.Host, f remote.HyperVResourceFacts, lat time.Duration, at time.Time) (Result, *Resources) {
	if f.Error != "" || f.MemTotal == 0 {
		why := f.Error
		if why == "" {
			why = "no memory figures"
		}
		return newResult(h.Name, hosts.CheckResources, UNKNOWN, "resources unreadable: "+why, strings.Join(f.Notes, "\n"), nil, lat, at), nil
	}
	h = hyperVLimits(h)
	res := &Resources{MemTotal: f.MemTotal, MemFree: f.MemFree, CPUs: f.CPUs, Model: f.Model, Load1: f.LoadPerCPU() * float64(f.CPUs)}
	st := OK
	var problems, details []string
	grade := func(s Status, text string) {
		st = st.Worse(s)
		if s != OK {
			problems = append(problems, text)
		}
	}
	freePct := 100 * float64(f.MemFree) / float64(f.MemTotal)
	memLine := fmt.Sprintf("mem %.0f%% free", math.Floor(freePct))
	grade(hvThreshold(freePct < h.MemFreeCrit, freePct < h.MemFreeWarn), memLine)
	parts := []string{memLine}
	details = append(details, fmt.Sprintf("memory: %s free of %s", formatBytes(int64(f.MemFree)), formatBytes(int64(f.MemTotal))))
	for _, d := range f.Disks {
		du, line, s := hyperVDiskUse(h, d)
		grade(s, line)
		details = append(details, "disk "+line)
		if du != nil {
			res.Disks = append(res.Disks, *du)
			parts = append(parts, fmt.Sprintf("disk %.0f%% (%s)", du.UsedPct, d.Path))
		}
	}
	load := f.LoadPerCPU()
	loadLine := fmt.Sprintf("load %.1f/cpu", load)
	grade(hvThreshold(false, load > h.LoadPerCPUWarn), loadLine)
	parts = append(parts, loadLine)
	details = append(details, fmt.Sprintf("cpu: %d x %s, %.0f%% busy, queue %.0f", f.CPUs, f.Model, f.CPULoad, f.QueueLength))
	sum := strings.Join(parts, ", ")
	if len(problems) > 0 {
		sum = strings.Join(problems, "; ")
	}
	return newResult(h.Name, hosts.CheckResources, st, sum, strings.Join(append(details, f.Notes...), "\n"), nil, lat, at), res
}

func hvThreshold(crit, warn bool) Status {
	switch {
	case crit:
		return CRIT
	case warn:
		return WARN
	}
	return OK
}

// hyperVDiskUse rates one storage path's volume.
func hyperVDiskUse(h hosts.Host, d remote.HyperVDisk) (*remote.DiskUse, string, Status) {
	switch {
	case !d.Exists:
		return nil, d.Path + " does not exist", WARN
	case d.Error != "" || d.Total == 0:
		return nil, d.Path + " not measured: " + d.Error, WARN
	}
	used := d.Total - d.Free
	pct := math.Ceil(100 * float64(used) / float64(d.Total))
	du := &remote.DiskUse{Path: d.Path, Mount: volumeRoot(d.Path), Total: d.Total, Used: used, Avail: d.Free, UsedPct: pct}
	line := fmt.Sprintf("%s %.0f%% used (%s free of %s)", d.Path, pct, formatBytes(int64(d.Free)), formatBytes(int64(d.Total)))
	return du, line, hvThreshold(pct > h.DiskUseCrit, pct > h.DiskUseWarn)
}

// volumeRoot is "D:\" for "D:\Hyper-V\Disks".
func volumeRoot(p string) string {
	if len(p) >= 3 && p[1] == ':' {
		return p[:3]
	}
	return p
}
