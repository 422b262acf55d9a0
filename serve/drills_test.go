package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hvconsole/hvconsole/probes"
)

func TestDrillMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drills.json")
	store := probes.NewDrillStore(path)
	at := time.Unix(1764200000, 0)
	for _, d := range []probes.DrillResult{
		{Host: "kvm-01", Spec: "nightly", Level: 1, Outcome: probes.DrillPassed, Ended: at, RestoreTime: 90 * time.Second},
		{Host: "kvm-01", Spec: "weekly", Level: 0, Outcome: probes.DrillFailed, Ended: at.Add(time.Hour), RestoreTime: 2 * time.Second},
	} {
		if err := store.Record(d); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	registerDrills(reg, map[string]string{"site": "dc1"}, store)
	want := `
# HELP hvconsole_backup_drill_duration_seconds Restore time of the last drill of each backup spec (copy plus verification for L1, verification for L0): the RTO an operator can quote.
# TYPE hvconsole_backup_drill_duration_seconds gauge
hvconsole_backup_drill_duration_seconds{backup="nightly",host="kvm-01",level="1",site="dc1"} 90
hvconsole_backup_drill_duration_seconds{backup="weekly",host="kvm-01",level="0",site="dc1"} 2
# HELP hvconsole_backup_last_drill_success_timestamp_seconds Unix time of the last restore drill of each backup spec that passed.
# TYPE hvconsole_backup_last_drill_success_timestamp_seconds gauge
hvconsole_backup_last_drill_success_timestamp_seconds{backup="nightly",host="kvm-01",site="dc1"} 1.7642e+09
# HELP hvconsole_backup_last_drill_timestamp_seconds Unix time of the last restore drill of each backup spec that passed or failed; outcome says which (a cancelled or unconfirmed drill proves nothing and is not counted).
# TYPE hvconsole_backup_last_drill_timestamp_seconds gauge
hvconsole_backup_last_drill_timestamp_seconds{backup="nightly",host="kvm-01",outcome="passed",site="dc1"} 1.7642e+09
hvconsole_backup_last_drill_timestamp_seconds{backup="weekly",host="kvm-01",outcome="failed",site="dc1"} 1.7642036e+09
# HELP hvconsole_drill_records_readable 1 when the restore drill records (drills.json) could be read at this scrape, else 0.
# TYPE hvconsole_drill_records_readable gauge
hvconsole_drill_records_readable{site="dc1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if err := os.WriteFile(path, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 1 {
		t.Errorf("unreadable records: %d series, %v; want only the readable gauge", n, err)
	}
}
