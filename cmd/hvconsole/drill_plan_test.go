package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// The confirmation prints the plan's one wording (actions.DrillPlan,
// tested there) under a line naming the drill, a step a line.
func TestDrillPlan(t *testing.T) {
	h := hosts.Host{Name: "kvm-01", Address: "10.0.0.1", RestoreDir: "/srv/scratch",
		Backups: []hosts.Backup{{Name: "nightly", Drill: hosts.DrillBoot, DrillBootTimeout: 3 * time.Minute}}}
	for _, level := range []int{0, 1, 2} {
		want := fmt.Sprintf("Restore drill L%d of backup \"nightly\" on kvm-01 (10.0.0.1):\n", level)
		for _, step := range actions.DrillPlan(h, h.Backups[0], level) {
			want += "  - " + step + "\n"
		}
		if got := drillPlan(h, drillOptions{backup: "nightly", level: level}); got != want {
			t.Errorf("L%d plan:\n%s\nwant:\n%s", level, got, want)
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
