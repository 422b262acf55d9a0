package probes

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// verdict collects a check's status and the problems that set it.
type verdict struct {
	st       Status
	problems []problem
}

type problem struct {
	st   Status
	text string
}

func (v *verdict) add(st Status, text string) {
	v.st = v.st.Worse(st)
	v.problems = append(v.problems, problem{st, text})
}

// summary puts the problems, worst first, before the compact figures.
func (v verdict) summary(figures string) string {
	if len(v.problems) == 0 {
		return figures
	}
	ps := slices.Clone(v.problems)
	slices.SortStableFunc(ps, func(a, b problem) int { return b.st.Severity() - a.st.Severity() })
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.text
	}
	return strings.Join(texts, "; ") + " | " + figures
}

// resourcesResult rates the facts against h's thresholds (see
// ResourcesCheck).
func resourcesResult(h hosts.Host, f resourceFacts, now time.Time) Result {
	if f.nodeErr != nil {
		return newResult(h.Name, hosts.CheckResources, UNKNOWN, "host resources unavailable: "+reason(f.nodeErr),
			"", f.nodeErr, f.latency, now)
	}
	var v verdict
	var figures, details []string
	details = append(details, fmt.Sprintf("cpus: %d (%s, %d MHz)", f.node.cpus, orWord(f.node.model, "model unknown"), f.node.mhz))
	fig, det := rateMemory(h, f.node, &v)
	figures, details = append(figures, fig), append(details, det...)
	fig, det = rateDisks(h, f.disks, f.diskErr, &v)
	if fig != "" {
		figures = append(figures, fig)
	}
	details = append(details, det...)
	fig, loadLine := rateLoad(h, f.node.cpus, f.load, f.loadErr, &v)
	figures, details = append(figures, fig), append(details, loadLine)
	details = append(details, thresholdsLine(h))
	err := errors.Join(f.node.memErr, f.node.commitErr, f.diskErr, f.loadErr)
	return newResult(h.Name, hosts.CheckResources, v.st, v.summary(strings.Join(figures, ", ")),
		strings.Join(details, "\n"), err, f.latency, now)
}

// rateMemory rates free memory and the running VMs' commitment.
func rateMemory(h hosts.Host, n nodeFacts, v *verdict) (string, []string) {
	var details []string
	if n.memErr != nil {
		v.add(UNKNOWN, "memory unknown: "+reason(n.memErr))
		details = append(details, "memory: "+reason(n.memErr))
	}
	fig := "mem ?"
	if n.memErr == nil {
		pct := percentOf(n.memAvail, n.memTotal)
		switch {
		case pct < h.MemFreeCrit:
			v.add(CRIT, fmt.Sprintf("memory low: %s free (crit below %s)", pctText(pct), pctText(h.MemFreeCrit)))
		case pct < h.MemFreeWarn:
			v.add(WARN, fmt.Sprintf("memory low: %s free (warn below %s)", pctText(pct), pctText(h.MemFreeWarn)))
		}
		source := "libvirt node memory stats"
		if !n.memFromLibvirt {
			source = "/proc/meminfo"
		}
		fig = "mem " + pctText(pct) + " free"
		details = append(details, fmt.Sprintf("memory: %s free of %s (%s, from %s)",
			FormatBytes(n.memAvail), FormatBytes(n.memTotal), pctText(pct), source))
	}
	switch {
	case n.commitErr != nil:
		details = append(details, "committed: unknown ("+reason(n.commitErr)+")")
	default:
		pct := percentOf(n.committed, n.memTotal)
		if n.memTotal > 0 && n.committed > n.memTotal {
			v.add(WARN, fmt.Sprintf("memory overcommitted: running VMs may use %s of host memory", pctText(pct)))
		}
		details = append(details, fmt.Sprintf("committed: %s to %d running VMs (%s of host memory)",
			FormatBytes(n.committed), n.running, pctText(pct)))
	}
	return fig, details
}

// rateDisks rates each image filesystem; the summary names the fullest.
func rateDisks(h hosts.Host, disks []remote.DiskUse, err error, v *verdict) (string, []string) {
	var details []string
	if err != nil {
		v.add(UNKNOWN, "disk use unknown: "+reason(err))
		details = append(details, "disk: "+reason(err))
	}
	if len(disks) == 0 {
		if err == nil && len(h.ImagePaths) == 0 {
			details = append(details, "disk: no image paths configured")
		}
		return "", details
	}
	fullest := 0
	for i, d := range disks {
		name := orWord(d.Path, d.Mount)
		switch {
		case d.UsedPct > h.DiskUseCrit:
			v.add(CRIT, fmt.Sprintf("disk %s %s full (crit above %s)", name, pctText(d.UsedPct), pctText(h.DiskUseCrit)))
		case d.UsedPct > h.DiskUseWarn:
			v.add(WARN, fmt.Sprintf("disk %s %s full (warn above %s)", name, pctText(d.UsedPct), pctText(h.DiskUseWarn)))
		}
		if d.UsedPct > disks[fullest].UsedPct {
			fullest = i
		}
		details = append(details, fmt.Sprintf("disk %s: %s used, %s free of %s on %s (%s)", name, pctText(d.UsedPct),
			FormatBytes(d.Avail), FormatBytes(d.Total), remote.CleanLine(d.Filesystem), remote.CleanLine(d.Mount)))
	}
	d := disks[fullest]
	return fmt.Sprintf("disk %s (%s)", pctText(d.UsedPct), orWord(d.Path, d.Mount)), details
}

// rateLoad rates the 1-minute load per CPU.
func rateLoad(h hosts.Host, cpus int, l remote.LoadAvg, err error, v *verdict) (string, string) {
	if err != nil {
		v.add(UNKNOWN, "load unknown: "+reason(err))
		return "load ?", "load: " + reason(err)
	}
	per := l.Load1 / float64(max(cpus, 1))
	if per > h.LoadPerCPUWarn {
		v.add(WARN, fmt.Sprintf("load high: %s/cpu (warn above %s)", loadText(per), loadText(h.LoadPerCPUWarn)))
	}
	return "load " + loadText(per) + "/cpu", fmt.Sprintf("load: %s %s %s (1, 5, 15 min; %s per CPU over 1 min)",
		loadText(l.Load1), loadText(l.Load5), loadText(l.Load15), loadText(per))
}

func thresholdsLine(h hosts.Host) string {
	return fmt.Sprintf("thresholds: mem free warn <%s crit <%s, disk warn >%s crit >%s, load warn >%s/cpu",
		pctText(h.MemFreeWarn), pctText(h.MemFreeCrit), pctText(h.DiskUseWarn), pctText(h.DiskUseCrit), loadText(h.LoadPerCPUWarn))
}

// percentOf is part of whole in percent (0 when whole is 0).
func percentOf(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// pctText prints a percentage compactly: whole numbers from 10 up,
// one decimal below ("62%", "4.5%", "0.3%").
func pctText(p float64) string {
	if p >= 10 || p == float64(int64(p)) {
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// loadText prints a load figure with at most two decimals ("0.3", "2").
func loadText(x float64) string {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// FormatBytes prints a byte count in binary units with one decimal
// ("20.1 GiB", "512 B"), as the console and the check details show sizes.
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
