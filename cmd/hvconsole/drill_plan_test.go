package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes/actions"
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

func TestConfirmDrill(t *testing.T) {
	h := hosts.Host{Name: "kvm-01", Address: "10.0.0.1"}
	for _, tt := range []struct {
		answer string
		want   error
	}{{"yes\n", nil}, {"y\n", actions.ErrCancelled}, {"", actions.ErrCancelled}} {
		var w strings.Builder
		err := confirmDrill(strings.NewReader(tt.answer), &w, h, drillOptions{backup: "nightly", level: 1})
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("answer %q: %v, want %v", tt.answer, err, tt.want)
		}
		if !strings.Contains(w.String(), "Restore drill L1") || !strings.HasSuffix(w.String(), "Type yes to confirm: ") {
			t.Errorf("answer %q: prompt %q", tt.answer, w.String())
		}
	}
}
