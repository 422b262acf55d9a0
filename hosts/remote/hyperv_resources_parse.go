package remote

import (
	"encoding/json"
	"fmt"
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

// HyperVResourceFacts is what HyperVResourcesScript reported.
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

// ParseHyperVResources parses HyperVResourcesScript's output.
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
		if err != nil || i >= MaxResourcePaths*4 {
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
