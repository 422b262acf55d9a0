package hostpane

import (
	"math"
	"strconv"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// Gauge geometry: a 4-cell label, then a bar as wide as the pane allows
// after leaving gaugeTextRoom cells for the figures, within
// [minGaugeW, maxGaugeW].
const (
	gaugeLabelW   = 4
	gaugeTextRoom = 42
	minGaugeW     = 8
	maxGaugeW     = 24
)

// Bar draws a gauge width cells wide (brackets included, in ASCII) filled
// to frac, clamped to 0..1. A fraction above zero always shows some fill
// and one below one never a full bar, so 0.2% and 99.8% do not read as
// empty and full; the figure beside the bar says how much exactly.
func Bar(frac float64, width int, g theme.Glyphs) string {
	inner := width - cell.Width(g.GaugeOpen) - cell.Width(g.GaugeClose)
	if inner <= 0 || len(g.Gauge) == 0 {
		return ""
	}
	levels := len(g.Gauge)
	n := fillUnits(frac, inner*levels)
	full, part := n/levels, n%levels
	var b strings.Builder
	b.Grow(width * 3)
	b.WriteString(g.GaugeOpen)
	for range full {
		b.WriteString(g.Gauge[levels-1])
	}
	empty := inner - full
	if part > 0 {
		b.WriteString(g.Gauge[part-1])
		empty--
	}
	for range empty {
		b.WriteString(g.GaugeEmpty)
	}
	b.WriteString(g.GaugeClose)
	return b.String()
}

// fillUnits is how many of units a bar at frac fills (see Bar).
func fillUnits(frac float64, units int) int {
	switch {
	case !(frac > 0): // also NaN
		return 0
	case frac >= 1:
		return units
	}
	n := int(math.Round(frac * float64(units)))
	return min(max(n, 1), units-1)
}

// gaugeWidth is the bar width for a pane width.
func gaugeWidth(paneW int) int {
	return min(max(paneW-2-gaugeLabelW-1-1-gaugeTextRoom, minGaugeW), maxGaugeW)
}

// resourceLines is the Resources section: gauges of memory used, memory
// committed to running VMs, load per CPU and each image filesystem. Every
// bar has its figure beside it, so nothing depends on the bar or on
// colour. It is empty when the host reported neither figures nor a
// resources check.
func (p Pane) resourceLines(r probes.HostReport, running int) []string {
	res := r.Resources
	if res == nil {
		if _, ok := r.Check(hosts.CheckResources); !ok {
			return nil
		}
		return []string{p.th.Title.Render("Resources"), "  no figures this round: see the resources check"}
	}
	title := "Resources"
	if model := cell.Clean(res.Model); model != "" {
		title += " " + p.th.Glyphs.Dot + " " + model
	}
	bw := gaugeWidth(p.width)
	lines := make([]string, 0, 4+len(res.Disks))
	lines = append(lines, p.th.Title.Render(title),
		p.gauge("mem", bw, memGauge(res)),
		p.gauge("VMs", bw, committedGauge(res, running)),
		p.gauge("load", bw, loadGauge(res)))
	for _, d := range res.Disks {
		lines = append(lines, p.gauge("disk", bw, diskGauge(d)))
	}
	return lines
}

// reading is one gauge's fill and figure; known is false when the figure
// could not be read (then only the text is shown).
type reading struct {
	frac  float64
	text  string
	known bool
}

func (p Pane) gauge(label string, bw int, g reading) string {
	head := "  " + cell.Fit(label, gaugeLabelW, "") + " "
	if !g.known {
		return head + g.text
	}
	return head + Bar(g.frac, bw, p.th.Glyphs) + " " + g.text
}

func memGauge(r *probes.Resources) reading {
	pct, ok := fleet.MemUsedPercent(r)
	if !ok {
		return reading{text: "unknown"}
	}
	used := r.MemTotal - min(r.MemFree, r.MemTotal)
	return reading{
		frac:  float64(used) / float64(r.MemTotal),
		text:  probes.FormatBytes(used) + " / " + probes.FormatBytes(r.MemTotal) + ", " + strconv.Itoa(pct) + "%",
		known: true,
	}
}

// committedGauge compares the running VMs' maximum memory with the host's.
// Zero committed with VMs running means the figure was not read.
func committedGauge(r *probes.Resources, running int) reading {
	switch {
	case r.MemTotal == 0:
		return reading{text: "committed unknown (host memory not read)"}
	case r.MemCommitted == 0 && running > 0:
		return reading{text: "committed unknown"}
	}
	frac := float64(r.MemCommitted) / float64(r.MemTotal)
	pct := int(min(math.Ceil(frac*100-1e-9), 9999)) // bounded: garbage must not overflow
	text := probes.FormatBytes(r.MemCommitted) + " committed, " + strconv.Itoa(pct) + "%"
	if r.MemCommitted > r.MemTotal {
		text += " (overcommitted)"
	}
	return reading{frac: frac, text: text, known: true}
}

func loadGauge(r *probes.Resources) reading {
	if r.Load1 < 0 || math.IsNaN(r.Load1) || math.IsInf(r.Load1, 0) {
		return reading{text: "unknown"}
	}
	load := strconv.FormatFloat(r.Load1, 'f', 2, 64)
	if r.CPUs <= 0 {
		return reading{text: load + ", CPUs unknown"}
	}
	perCPU := r.Load1 / float64(r.CPUs)
	text := load + " on " + strconv.Itoa(r.CPUs) + " CPUs"
	if r.CPUs == 1 {
		text = load + " on 1 CPU"
	}
	if perCPU > 1 {
		text += ", " + strconv.FormatFloat(perCPU, 'f', 1, 64) + " per CPU"
	}
	return reading{frac: perCPU, text: text, known: true}
}

func diskGauge(d remote.DiskUse) reading {
	name := cell.Clean(d.Path)
	if name == "" {
		name = cell.Clean(d.Mount)
	}
	pct := fleet.DiskPercent(d)
	// the mount and filesystem are in the resources check's details
	text := name + " " + strconv.Itoa(pct) + "% of " + probes.FormatBytes(d.Total)
	return reading{frac: d.UsedPct / 100, text: text, known: true}
}
