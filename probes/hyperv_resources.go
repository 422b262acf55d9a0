package probes

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// HyperVDisk is the volume holding one VM storage path.
type HyperVDisk struct {
	Path   string
	Exists bool
	// Total and Free are the volume's size and free space in bytes (0 when
	// unread; Error says why).
	Total, Free uint64
	Error       string
}

// HyperVResourceFacts is what hosts.HyperVResourcesScript reported.
type HyperVResourceFacts struct {
	MemTotal, MemFree uint64 // bytes
	CPUs              int
	// CPULoad is Win32_Processor LoadPercentage averaged over sockets.
	CPULoad float64
	// QueueLength is the processor queue length (threads ready, waiting).
	QueueLength float64
	Model       string
	Disks       []HyperVDisk
	Error       string
	Notes       []string
}

// LoadPerCPU approximates Linux's load average per CPU, which Windows does
// not keep: threads running (CPUs x load) plus threads ready and waiting
// (the processor queue), divided by the CPUs. It is an instant reading, not
// a 1-minute average, so it is noisier than the KVM figure.
func (f HyperVResourceFacts) LoadPerCPU() float64 {
	if f.CPUs <= 0 {
		return 0
	}
	return (float64(f.CPUs)*f.CPULoad/100 + f.QueueLength) / float64(f.CPUs)
}

// ParseHyperVResources parses hosts.HyperVResourcesScript's output.
func ParseHyperVResources(out string) (HyperVResourceFacts, error) {
	var raw struct {
		MemTotalKB, MemFreeKB, CPUs, CPULoad, QueueLength, Model, Disks, Error json.RawMessage
	}
	var f HyperVResourceFacts
	notes, err := decodePSDoc(out, &raw)
	if err != nil {
		return f, err
	}
	f.Notes = notes
	e, err := psString(raw.Error)
	if err != nil {
		return f, psFieldErr("Error", err)
	}
	f.Error = CleanLine(e)
	model, err := psString(raw.Model)
	if err != nil {
		return f, psFieldErr("Model", err)
	}
	f.Model = CleanLine(model)
	nums := []struct {
		name string
		raw  json.RawMessage
		dst  *float64
		max  float64
	}{
		{"CPULoad", raw.CPULoad, &f.CPULoad, 100}, {"QueueLength", raw.QueueLength, &f.QueueLength, 1e7},
	}
	for _, n := range nums {
		v, _, err := psNumber(n.raw)
		if err != nil || v < 0 || v > n.max {
			return f, psFieldErr(n.name, fmt.Errorf("%w: out of range %s", errPSType, psExcerpt(n.raw)))
		}
		*n.dst = v
	}
	if err := f.readCounts(raw.MemTotalKB, raw.MemFreeKB, raw.CPUs); err != nil {
		return f, err
	}
	items, err := psList(raw.Disks)
	if err != nil {
		return f, psFieldErr("Disks", err)
	}
	for i, it := range items {
		d, err := parseHyperVDisk(it)
		if err != nil || i >= hosts.MaxResourcePaths*4 {
			return f, fmt.Errorf("%w: disk %d: %w", ErrUnparseable, i+1, err)
		}
		f.Disks = append(f.Disks, d)
	}
	return f, nil
}

func (f *HyperVResourceFacts) readCounts(totalKB, freeKB, cpus json.RawMessage) error {
	const maxKB = 1 << 50 // 1 EiB
	t, _, err1 := psUint(totalKB)
	fr, _, err2 := psUint(freeKB)
	c, _, err3 := psUint(cpus)
	switch {
	case err1 != nil || t > maxKB:
		return psFieldErr("MemTotalKB", fmt.Errorf("%w: %s", errPSType, psExcerpt(totalKB)))
	case err2 != nil || fr > t:
		return psFieldErr("MemFreeKB", fmt.Errorf("%w: %s", errPSType, psExcerpt(freeKB)))
	case err3 != nil || c > 1<<16:
		return psFieldErr("CPUs", fmt.Errorf("%w: %s", errPSType, psExcerpt(cpus)))
	}
	f.MemTotal, f.MemFree, f.CPUs = t*1024, fr*1024, int(c)
	return nil
}

func parseHyperVDisk(raw json.RawMessage) (HyperVDisk, error) {
	var r struct{ Path, Exists, Total, Free, Error json.RawMessage }
	var d HyperVDisk
	if err := json.Unmarshal(raw, &r); err != nil {
		return d, err
	}
	p, err := psString(r.Path)
	if err != nil || p == "" {
		return d, fmt.Errorf("%w: disk without a path", errPSType)
	}
	e, err := psString(r.Error)
	if err != nil {
		return d, err
	}
	ex, err := psBool(r.Exists)
	if err != nil {
		return d, err
	}
	d.Path, d.Error, d.Exists = CleanLine(p), CleanLine(e), ex != nil && *ex
	var err1, err2 error
	d.Total, _, err1 = psUint(r.Total)
	d.Free, _, err2 = psUint(r.Free)
	if err1 != nil || err2 != nil || d.Free > d.Total || d.Total > 1<<62 {
		return d, fmt.Errorf("%w: disk figures of %s", errPSType, d.Path)
	}
	return d, nil
}

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
func hyperVResourcesResult(h hosts.Host, f HyperVResourceFacts, lat time.Duration, at time.Time) (Result, *Resources) {
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
func hyperVDiskUse(h hosts.Host, d HyperVDisk) (*DiskUse, string, Status) {
	switch {
	case !d.Exists:
		return nil, d.Path + " does not exist", WARN
	case d.Error != "" || d.Total == 0:
		return nil, d.Path + " not measured: " + d.Error, WARN
	}
	used := d.Total - d.Free
	pct := math.Ceil(100 * float64(used) / float64(d.Total))
	du := &DiskUse{Path: d.Path, Mount: volumeRoot(d.Path), Total: d.Total, Used: used, Avail: d.Free, UsedPct: pct}
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
