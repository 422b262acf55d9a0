package actions

import (
	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// DrillPlan is what a drill of spec at level will do on h, one step a
// line, in the words the console's confirmation and `hvconsole drill`
// show before the operator says yes. The scratch folder is the one the
// drill will use (restore_dir, else the default of the host's kind).
func DrillPlan(h hosts.Host, spec hosts.Backup, level int) []string {
	ops := drillOpsFor(h)
	scratch := ops.scratch(ops.dir(h), "ID")
	switch level {
	case remote.DrillL2:
		return []string{
			"copy the newest file into " + scratch + " and verify the copy",
			"boot it through a qcow2 overlay in a transient VM without network (" + remote.DrillDomainPrefix + spec.Name + "-...)",
			"pass when its QEMU guest agent answers within " + spec.BootTimeout().String(),
			"destroy the VM and delete the files",
		}
	case remote.DrillL1:
		return []string{"copy the newest file into " + scratch, "verify the copy", "delete it"}
	}
	return []string{"verify the newest file where it lies (sha256, qemu-img check)"}
}
