package serve

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// A host's series are built once per report, when serve's loop stores it,
// as client_model metrics the exposition encoder takes as they are; a
// scrape only gathers them (fleetGatherer). So a scrape costs the encoding
// of the series and nothing per series before it, and it holds the fleet's
// lock only to copy one pointer per host.

// hostSeries is one host's series, grouped by family in family order. It
// is never changed once built: scrapes in flight keep reading the one they
// gathered while a new report replaces it.
type hostSeries struct {
	metrics []dto.Metric
	end     [numFamilies]int32 // family f is metrics[end[f-1]:end[f]]
}

func (s *hostSeries) family(f family) []dto.Metric {
	start := int32(0)
	if f > 0 {
		start = s.end[f-1]
	}
	return s.metrics[start:s.end[f]]
}

// sample is one series before it is built: its family, value and the
// values of its labels after host; whole is value's shared gauge
// (wholeGauge), nil when the series needs its own.
type sample struct {
	fam    family
	value  float64
	whole  *dto.Gauge
	labels [2]string
}

// seriesBuilder builds hostSeries. It is used by serve's loop only (the
// fleet state's writer); what it builds is read by scrapes concurrently.
type seriesBuilder struct {
	maxDomains int
	// slots lays out each family's labels, its own and the external
	// ones, sorted by name as the exposition wants them.
	slots [numFamilies][]slot
	// shared holds the label pairs every host uses (check names,
	// statuses, libvirt states, memory kinds, hypervisor kinds).
	shared map[[2]string]*dto.LabelPair
	// wholes holds the gauges of the small whole values most series
	// have (a status or state is 1, an up is 0 or 1, a count of VMs),
	// shared like the label pairs: ~0.9 KB less per demo host.
	wholes  [maxSharedGauge + 1]*dto.Gauge
	samples []sample // scratch for one build
}

// maxSharedGauge is the largest value whose gauge is shared.
const maxSharedGauge = 64

// slot is one label of a family's series: an external label, or the
// family's own label number own.
type slot struct {
	own int
	ext *dto.LabelPair
}

var gaugeType = dto.MetricType_GAUGE

func newSeriesBuilder(external map[string]string, maxDomains int) *seriesBuilder {
	b := &seriesBuilder{maxDomains: maxDomains, shared: map[[2]string]*dto.LabelPair{}}
	for f := range numFamilies {
		var slots []slot
		for i := range families[f].labels {
			slots = append(slots, slot{own: i})
		}
		for name, value := range external {
			slots = append(slots, slot{own: -1, ext: &dto.LabelPair{Name: &name, Value: &value}})
		}
		slices.SortFunc(slots, func(x, y slot) int { return cmp.Compare(slotName(f, x), slotName(f, y)) })
		b.slots[f] = slots
	}
	return b
}

func slotName(f family, s slot) string {
	if s.ext != nil {
		return s.ext.GetName()
	}
	return families[f].labels[s.own]
}

// build returns the series of h's report rep; nil before its first report.
func (b *seriesBuilder) build(h hosts.Host, rep probes.HostReport) *hostSeries {
	if rep.Time.IsZero() {
		return nil // not reported yet: no series rather than a made-up value
	}
	b.samples = b.samples[:0]
	b.collectHost(h, rep)
	slices.SortStableFunc(b.samples, func(x, y sample) int { return cmp.Compare(x.fam, y.fam) })
	n := len(b.samples)
	s := &hostSeries{metrics: make([]dto.Metric, n)}
	// One allocation per kind of object rather than per series.
	nLabels, nOwn := 0, 0
	for _, smp := range b.samples {
		nLabels += len(b.slots[smp.fam])
		if smp.whole == nil {
			nOwn++
		}
	}
	gs, vs := make([]dto.Gauge, nOwn), make([]float64, nOwn)
	labels := make([]*dto.LabelPair, nLabels)
	hostName := rep.Host
	host := &dto.LabelPair{Name: &families[famHostUp].labels[0], Value: &hostName}
	for i, smp := range b.samples {
		g := smp.whole
		if g == nil {
			vs[0] = smp.value
			g, gs[0].Value = &gs[0], &vs[0]
			gs, vs = gs[1:], vs[1:]
		}
		slots := b.slots[smp.fam]
		ls := labels[:len(slots):len(slots)]
		labels = labels[len(slots):]
		for j, sl := range slots {
			switch {
			case sl.ext != nil:
				ls[j] = sl.ext
			case sl.own == 0:
				ls[j] = host
			default:
				ls[j] = b.pair(&families[smp.fam].labels[sl.own], smp.labels[sl.own-1])
			}
		}
		s.metrics[i].Label, s.metrics[i].Gauge = ls, g
		s.end[smp.fam] = int32(i + 1)
	}
	for f := family(1); f < numFamilies; f++ {
		s.end[f] = max(s.end[f], s.end[f-1])
	}
	return s
}

// wholeGauge is the shared gauge of v when v is a whole number from 0 to
// maxSharedGauge, else nil.
func (b *seriesBuilder) wholeGauge(v float64) *dto.Gauge {
	if v < 0 || v > maxSharedGauge || v != math.Trunc(v) || math.Signbit(v) {
		return nil
	}
	g := b.wholes[int(v)]
	if g == nil {
		whole := v // v itself would move to the heap at every call
		g = &dto.Gauge{Value: &whole}
		b.wholes[int(v)] = g
	}
	return g
}

// emit adds one series of the host being built.
func (b *seriesBuilder) emit(f family, v float64, labels ...string) {
	smp := sample{fam: f, value: v, whole: b.wholeGauge(v)}
	copy(smp.labels[:], labels)
	b.samples = append(b.samples, smp)
}

// pair returns the label pair name=value, shared when every host may use
// it (a fixed vocabulary), else new.
func (b *seriesBuilder) pair(name *string, value string) *dto.LabelPair {
	switch *name {
	case "check", "status", "kind", "hypervisor":
	case "state":
		if !slices.Contains(domainStates, value) {
			return &dto.LabelPair{Name: name, Value: &value}
		}
	default:
		return &dto.LabelPair{Name: name, Value: &value}
	}
	key := [2]string{*name, value}
	p, ok := b.shared[key]
	if !ok {
		p = &dto.LabelPair{Name: name, Value: &value}
		b.shared[key] = p
	}
	return p
}

// labelValue makes a remote name a valid label value (UTF-8).
func labelValue(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// fleetGatherer gathers the fleet's series for promhttp: the families of
// every reported host, in inventory order, as they were built.
type fleetGatherer struct{ fleet *fleetState }

// Gather implements prometheus.TransactionalGatherer. The families are new
// at each call, their metrics shared and never changed.
func (g fleetGatherer) Gather() ([]*dto.MetricFamily, func(), error) {
	all := g.fleet.allSeries()
	var counts [numFamilies]int
	for _, s := range all {
		for f := range numFamilies {
			counts[f] += len(s.family(f))
		}
	}
	mfs := make([]*dto.MetricFamily, 0, numFamilies)
	for f := range numFamilies {
		if counts[f] == 0 {
			continue
		}
		ms := make([]*dto.Metric, 0, counts[f])
		for _, s := range all {
			fam := s.family(f)
			for i := range fam {
				ms = append(ms, &fam[i])
			}
		}
		mfs = append(mfs, &dto.MetricFamily{Name: &families[f].name, Help: &families[f].help, Type: &gaugeType, Metric: ms})
	}
	slices.SortFunc(mfs, func(x, y *dto.MetricFamily) int { return cmp.Compare(x.GetName(), y.GetName()) })
	return mfs, func() {}, nil
}
