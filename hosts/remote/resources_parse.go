package remote

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parsers of the resources check's remote commands (HostLoadCommand,
// MemInfoCommand, DiskUsageCommand). Each accepts exactly the
// documented shape and returns ErrUnparseable otherwise.

// LoadAvg is /proc/loadavg's three load averages.
type LoadAvg struct {
	Load1, Load5, Load15 float64
}

// maxLoad bounds a believable load average; anything larger is garbage.
const maxLoad = 1e6

// ParseLoadAvg parses HostLoadCommand output: one line of five
// fields, "0.30 0.41 0.45 2/428 8054".
func ParseLoadAvg(out string) (LoadAvg, error) {
	f := strings.Fields(out)
	if len(f) != 5 || strings.Count(strings.TrimRight(out, "\n"), "\n") != 0 || !strings.Contains(f[3], "/") {
		return LoadAvg{}, fmt.Errorf("%w: loadavg: %q", ErrUnparseable, truncateRunes(out, 60))
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i], 64)
		if err != nil || strings.Trim(f[i], "0123456789.") != "" || x > maxLoad {
			return LoadAvg{}, fmt.Errorf("%w: loadavg: bad figure %q", ErrUnparseable, truncateRunes(f[i], 20))
		}
		v[i] = x
	}
	return LoadAvg{v[0], v[1], v[2]}, nil
}

// MemInfo is the part of /proc/meminfo the resources check uses, in bytes.
type MemInfo struct {
	Total uint64
	// Available is MemAvailable, or MemFree+Buffers+Cached on kernels
	// older than 3.14 that lack it.
	Available uint64
}

// maxMemInfoLines bounds how much of /proc/meminfo is read (about 55 today).
const maxMemInfoLines = 512

// ParseMemInfo parses MemInfoCommand output: "Key:   N kB" lines.
// MemTotal is required, then MemAvailable or all of MemFree, Buffers and
// Cached. Unknown keys are ignored; a malformed line is an error.
func ParseMemInfo(out string) (MemInfo, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > maxMemInfoLines {
		return MemInfo{}, fmt.Errorf("%w: meminfo: %d lines", ErrUnparseable, len(lines))
	}
	vals := map[string]uint64{}
	for _, l := range lines {
		key, rest, ok := strings.Cut(l, ":")
		f := strings.Fields(rest)
		if !ok || key == "" || len(f) == 0 || len(f) > 2 || (len(f) == 2 && f[1] != "kB") {
			return MemInfo{}, fmt.Errorf("%w: meminfo: bad line %q", ErrUnparseable, truncateRunes(l, 60))
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || n > math.MaxUint64/1024 {
			return MemInfo{}, fmt.Errorf("%w: meminfo: bad figure in %q", ErrUnparseable, truncateRunes(l, 60))
		}
		if len(f) == 2 {
			n *= 1024
		}
		vals[key] = n
	}
	total, ok := vals["MemTotal"]
	if !ok || total == 0 {
		return MemInfo{}, fmt.Errorf("%w: meminfo: no MemTotal", ErrUnparseable)
	}
	m := MemInfo{Total: total}
	if avail, ok := vals["MemAvailable"]; ok {
		m.Available = avail
	} else {
		free, ok1 := vals["MemFree"]
		buf, ok2 := vals["Buffers"]
		cached, ok3 := vals["Cached"]
		if !ok1 || !ok2 || !ok3 {
			return MemInfo{}, fmt.Errorf("%w: meminfo: neither MemAvailable nor MemFree, Buffers and Cached", ErrUnparseable)
		}
		m.Available = SatAdd(SatAdd(free, buf), cached)
	}
	m.Available = min(m.Available, m.Total)
	return m, nil
}

// ErrDiskMissing marks disk-use output that measured fewer filesystems than
// paths were asked: a configured image path is missing or unreadable.
var ErrDiskMissing = errors.New("remote: an image path could not be measured")

// ParseDiskUsage parses DiskUsageCommand(paths) output given its exit
// code: a "Filesystem" header, then one line per path in order. df skips a
// path it cannot read (exit 1); then the lines cannot be matched to paths,
// so the disks come back with Path "" and the error wraps ErrDiskMissing.
// More lines than paths, or a malformed line, is ErrUnparseable.
func ParseDiskUsage(paths []string, out string, exit int) ([]DiskUse, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "Filesystem") {
		if exit != 0 {
			return nil, fmt.Errorf("%w: df measured none of %d paths (exit %d)", ErrDiskMissing, len(paths), exit)
		}
		return nil, fmt.Errorf("%w: df: no header", ErrUnparseable)
	}
	lines = lines[1:]
	if len(lines) > len(paths) {
		return nil, fmt.Errorf("%w: df: %d lines for %d paths", ErrUnparseable, len(lines), len(paths))
	}
	disks := make([]DiskUse, 0, len(lines))
	for _, l := range lines {
		d, err := parseDFLine(l)
		if err != nil {
			return nil, err
		}
		disks = append(disks, d)
	}
	if len(disks) < len(paths) || exit != 0 {
		return disks, fmt.Errorf("%w: df measured %d of %d paths (exit %d)", ErrDiskMissing, len(disks), len(paths), exit)
	}
	for i := range disks {
		disks[i].Path = paths[i]
	}
	return disks, nil
}

// parseDFLine reads "FS SIZE USED AVAIL PCT MOUNT" where FS and MOUNT may
// hold spaces: the four figures are the first run of three integers and a
// percentage (or "-") after the first field.
func parseDFLine(l string) (DiskUse, error) {
	f := strings.Fields(l)
	for i := 1; i+4 < len(f); i++ {
		nums, ok := dfFigures(f[i : i+4])
		if !ok {
			continue
		}
		d := DiskUse{Filesystem: strings.Join(f[:i], " "), Mount: strings.Join(f[i+4:], " "),
			Total: nums[0], Used: nums[1], Avail: nums[2]}
		if d.Used > d.Total || d.Avail > d.Total {
			return DiskUse{}, fmt.Errorf("%w: df: figures do not add up in %q", ErrUnparseable, truncateRunes(l, 80))
		}
		d.UsedPct = usedPercent(d.Used, d.Avail)
		return d, nil
	}
	return DiskUse{}, fmt.Errorf("%w: df: bad line %q", ErrUnparseable, truncateRunes(l, 80))
}

// dfFigures parses three byte counts and a capacity ("41%" or "-").
func dfFigures(f []string) ([3]uint64, bool) {
	var n [3]uint64
	for i := range n {
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return n, false
		}
		n[i] = v
	}
	pct, ok := strings.CutSuffix(f[3], "%")
	if f[3] == "-" {
		return n, true
	}
	if _, err := strconv.ParseUint(pct, 10, 8); !ok || err != nil {
		return n, false
	}
	return n, true
}

// usedPercent is df's Capacity: used of (used+avail), rounded up.
func usedPercent(used, avail uint64) float64 {
	sum := float64(used) + float64(avail)
	if sum == 0 {
		return 0
	}
	return math.Ceil(float64(used) * 100 / sum)
}

// SatAdd adds without wrapping around.
func SatAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// DiskUse is the filesystem holding one configured image path.
type DiskUse struct {
	// Path is the configured path; Mount and Filesystem are what df said
	// holds it.
	Path, Mount, Filesystem string
	Total, Used, Avail      uint64
	// UsedPct is Used of (Used+Avail), rounded up, as df's Capacity column
	// (blocks reserved for root count as neither).
	UsedPct float64
}

// SatMul multiplies without wrapping around.
func SatMul(a, b uint64) uint64 {
	if b != 0 && a > ^uint64(0)/b {
		return ^uint64(0)
	}
	return a * b
}
