package hosts

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// limits are the thresholds of the resources and storage checks and the
// image folders whose disk use is measured.
type limits struct {
	imagePaths               []string
	memFreeWarn, memFreeCrit float64
	diskUseWarn, diskUseCrit float64
	loadPerCPUWarn           float64
	// securityCrit and securityIgnore rate the security check's findings.
	securityCrit, securityIgnore []string
	// restoreDir and drillRateMiB: see Host.
	restoreDir   string
	drillRateMiB int
	// vmActions: see Host.VMActions.
	vmActions []string
}

// Bounds of the resources keys: generous, but they catch a stray digit.
const (
	maxImagePaths    = 32
	maxLoadPerCPU    = 1000
	defaultImagePath = "/var/lib/libvirt/images"
)

// builtinLimits are the documented defaults (issue 6): free memory below
// 10% WARN, below 5% CRIT; disk use above 85% WARN, above 95% CRIT; load
// per CPU above 2 WARN.
func builtinLimits() limits {
	return limits{
		imagePaths:  []string{defaultImagePath},
		memFreeWarn: 10, memFreeCrit: 5,
		diskUseWarn: 85, diskUseCrit: 95,
		loadPerCPUWarn: 2,
		vmActions:      slices.Clone(DefaultVMActions),
	}
}

// fill copies the limits into a host; the slice is cloned.
func (l limits) fill(h *Host) {
	h.ImagePaths = slices.Clone(l.imagePaths)
	h.MemFreeWarn, h.MemFreeCrit = l.memFreeWarn, l.memFreeCrit
	h.DiskUseWarn, h.DiskUseCrit = l.diskUseWarn, l.diskUseCrit
	h.LoadPerCPUWarn = l.loadPerCPUWarn
	h.SecurityCrit, h.SecurityIgnore = slices.Clone(l.securityCrit), slices.Clone(l.securityIgnore)
	h.RestoreDir, h.DrillRateMiB = l.restoreDir, l.drillRateMiB
	h.VMActions = slices.Clone(l.vmActions)
}

// applyLimits overlays the resources keys written in one table. A pair
// written the wrong way round (crit less severe than warn) is reported at
// the key this table wrote, so the operator sees which value to fix.
func (ps *problems) applyLimits(l *limits, raw *rawSettings, prefix string) {
	if raw.ImagePaths != nil {
		key := joinKey(prefix, "image_paths")
		if len(*raw.ImagePaths) > maxImagePaths {
			ps.atf(key, "%d image paths: at most %d", len(*raw.ImagePaths), maxImagePaths)
		}
		l.imagePaths, _ = ps.stringList(key, *raw.ImagePaths, badImagePath)
	}
	for _, p := range []struct {
		key string
		raw *string
		dst *float64
	}{
		{"mem_free_warn", raw.MemFreeWarn, &l.memFreeWarn},
		{"mem_free_crit", raw.MemFreeCrit, &l.memFreeCrit},
		{"disk_use_warn", raw.DiskUseWarn, &l.diskUseWarn},
		{"disk_use_crit", raw.DiskUseCrit, &l.diskUseCrit},
	} {
		if p.raw == nil {
			continue
		}
		if v, why := parsePercent(*p.raw); why != "" {
			ps.at(joinKey(prefix, p.key), why)
		} else {
			*p.dst = v
		}
	}
	if raw.LoadPerCPUWarn != nil {
		v := *raw.LoadPerCPUWarn
		if !(v > 0 && v <= maxLoadPerCPU) {
			ps.atf(joinKey(prefix, "load_per_cpu_warn"), "load per CPU %s out of range: want more than 0, at most %d",
				strconv.FormatFloat(v, 'g', -1, 64), maxLoadPerCPU)
		} else {
			l.loadPerCPUWarn = v
		}
	}
	ps.applySecurityLevels(l, raw, prefix)
	ps.applyDrill(l, raw, prefix)
	ps.applyVMActions(l, raw, prefix)
	ps.orderedPair(prefix, "mem_free_warn", "mem_free_crit", raw.MemFreeWarn, raw.MemFreeCrit,
		l.memFreeCrit <= l.memFreeWarn, "mem_free_crit must not be above mem_free_warn")
	ps.orderedPair(prefix, "disk_use_warn", "disk_use_crit", raw.DiskUseWarn, raw.DiskUseCrit,
		l.diskUseCrit >= l.diskUseWarn, "disk_use_crit must not be below disk_use_warn")
}

// orderedPair reports a warn/crit pair in the wrong order, at the crit key
// when this table wrote it, else at the warn key; a table that wrote
// neither is not blamed for what it inherited.
func (ps *problems) orderedPair(prefix, warnKey, critKey string, warn, crit *string, ok bool, why string) {
	if ok || (warn == nil && crit == nil) {
		return
	}
	key := joinKey(prefix, critKey)
	if crit == nil {
		key = joinKey(prefix, warnKey)
	}
	if ps.bad[key] {
		return
	}
	ps.at(key, why)
}

// parsePercent reads a percentage such as "10%" or "7.5%": a decimal number
// from 0 to 100 followed by '%'. It returns the reason when s is not one.
func parsePercent(s string) (float64, string) {
	bad := "invalid percentage " + quote(s) + `: want a number from 0 to 100 and "%", such as "10%"`
	num, ok := strings.CutSuffix(s, "%")
	if !ok || num == "" || strings.Trim(num, "0123456789.") != "" {
		return 0, bad
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) {
		return 0, bad
	}
	if v < 0 || v > 100 {
		return 0, "percentage " + quote(s) + " out of range 0%-100%"
	}
	return v, ""
}

func badImagePath(s string) string {
	if !remote.ValidPath(s) {
		return "invalid image path " + quote(s) + ": want an absolute path without control characters or '..' elements"
	}
	return ""
}
