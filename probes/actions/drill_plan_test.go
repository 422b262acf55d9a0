package actions

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// The one wording of a drill's plan, per level and hypervisor kind: the
// folder is the one the drill itself uses.
func TestDrillPlan(t *testing.T) {
	spec := hosts.Backup{Name: "nightly", Drill: hosts.DrillBoot, DrillBootTimeout: 3 * time.Minute}
	kvm := hosts.Host{Name: "kvm-01", RestoreDir: "/srv/scratch"}
	hv := hosts.Host{Name: "hv-01", Hypervisor: hosts.KindHyperV}
	tests := []struct {
		name  string
		h     hosts.Host
		level int
		want  string
	}{
		{"L0", kvm, 0, "verify the newest file where it lies (sha256, qemu-img check)"},
		{"L1", kvm, 1, "copy the newest file into /srv/scratch/hvconsole-drill-ID; verify the copy; delete it"},
		{"L1 default folder", hosts.Host{Name: "kvm-02"}, 1, "copy the newest file into " + hosts.DefaultRestoreDir + "/hvconsole-drill-ID"},
		{"L1 Hyper-V", hv, 1, `copy the newest file into C:\Windows\Temp\hvconsole-drill-ID; verify the copy; delete it`},
		{"L2", kvm, 2, "copy the newest file into /srv/scratch/hvconsole-drill-ID and verify the copy; " +
			"boot it through a qcow2 overlay in a transient VM without network (hvconsole-drill-nightly-...); " +
			"pass when its QEMU guest agent answers within 3m0s; destroy the VM and delete the files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(DrillPlan(tt.h, spec, tt.level), "; "); !strings.HasPrefix(got, tt.want) {
				t.Errorf("plan %q, want %q", got, tt.want)
			}
		})
	}
}
