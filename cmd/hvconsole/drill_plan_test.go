package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

func TestDrillPlan(t *testing.T) {
	h := hosts.Host{Name: "kvm-01", Address: "10.0.0.1", RestoreDir: "/srv/scratch",
		Backups: []hosts.Backup{{Name: "nightly", Drill: hosts.DrillBoot, DrillBootTimeout: 3 * time.Minute}}}
	tests := []struct {
		level int
		want  []string
	}{
		{0, []string{"Restore drill L0 of backup \"nightly\" on kvm-01 (10.0.0.1)", "verifies the newest file where it lies"}},
		{1, []string{"copies the newest file into /srv/scratch/hvconsole-drill-ID, verifies the copy, deletes it"}},
		{2, []string{"/srv/scratch/hvconsole-drill-ID", "transient VM without network (hvconsole-drill-nightly-...)",
			"guest agent answers within 3m0s", "destroys the VM and deletes the files"}},
	}
	for _, tt := range tests {
		got := drillPlan(h, drillOptions{backup: "nightly", level: tt.level})
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("L%d plan lacks %q:\n%s", tt.level, w, got)
			}
		}
	}
}
