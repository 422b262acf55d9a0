package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hvconsole/hvconsole/probes"
)

// Restore drill metrics, read from the drill records (drills.json) at
// scrape time: a drill runs from the console or `hvconsole drill`, not in
// serve, so the file is the one place every drill ends up.
var (
	descDrillLast = desc("backup_last_drill_timestamp_seconds",
		"Unix time of the last restore drill of each backup spec that passed or failed; outcome says "+
			"which (a cancelled or unconfirmed drill proves nothing and is not counted).",
		"host", "backup", "outcome")
	descDrillSuccess = desc("backup_last_drill_success_timestamp_seconds",
		"Unix time of the last restore drill of each backup spec that passed.", "host", "backup")
	descDrillDuration = desc("backup_drill_duration_seconds",
		"Restore time of the last drill of each backup spec (copy plus verification for L1, "+
			"verification for L0): the RTO an operator can quote.", "host", "backup", "level")
)

// drillCollector exports the drill records. A file that cannot be read
// gives no drill series (and hvconsole_drill_records_readable 0) rather
// than made-up values.
type drillCollector struct{ store *probes.DrillStore }

var descDrillReadable = desc("drill_records_readable",
	"1 when the restore drill records (drills.json) could be read at this scrape, else 0.")

// Describe sends every description.
func (c drillCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDrillLast, descDrillSuccess, descDrillDuration, descDrillReadable} {
		ch <- d
	}
}

// Collect reads the drill records once.
func (c drillCollector) Collect(ch chan<- prometheus.Metric) {
	recs, err := c.store.Load()
	gauge(ch, descDrillReadable, boolValue(err == nil))
	if err != nil {
		return
	}
	for _, r := range recs {
		if !r.Last.Time.IsZero() {
			gauge(ch, descDrillLast, float64(r.Last.Time.UnixNano())/1e9, r.Host, r.Spec, r.Last.Outcome)
			gauge(ch, descDrillDuration, r.Last.RestoreSeconds, r.Host, r.Spec, strconv.Itoa(r.Last.Level))
		}
		if !r.LastSuccess.IsZero() {
			gauge(ch, descDrillSuccess, float64(r.LastSuccess.UnixNano())/1e9, r.Host, r.Spec)
		}
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// registerDrills adds the drill metrics to reg, with the external labels
// every series carries; a nil store adds nothing.
func registerDrills(reg *prometheus.Registry, external map[string]string, store *probes.DrillStore) {
	if store != nil {
		prometheus.WrapRegistererWith(prometheus.Labels(external), reg).MustRegister(drillCollector{store})
	}
}
