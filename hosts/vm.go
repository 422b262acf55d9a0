package hosts

import (
	"slices"
	"strings"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// DefaultVMActions are allowed when a config does not say: start and
// resume change nothing a VM was not meant to be doing; destroy is opt-in.
var DefaultVMActions = []string{remote.VMStart, remote.VMResume}

// VMAllowed reports whether op is on the host's vm_actions list.
func (h Host) VMAllowed(op string) bool { return slices.Contains(h.VMActions, op) }

// applyVMActions overlays vm_actions.
func (ps *problems) applyVMActions(l *limits, raw *rawSettings, prefix string) {
	if raw.VMActions == nil {
		return
	}
	key := joinKey(prefix, "vm_actions")
	list, _ := ps.stringList(key, *raw.VMActions, badVMOp)
	for i, op := range list {
		if slices.Index(list, op) < i && !ps.bad[joinIndex(key, i)] {
			ps.atf(joinIndex(key, i), "VM action %s listed twice", quote(op))
		}
	}
	l.vmActions = list
}

func badVMOp(s string) string {
	if slices.Contains(remote.VMOps, s) {
		return ""
	}
	return "unknown VM action " + quote(s) + ": want " + strings.Join(remote.VMOps, ", ") + didYouMean(s, remote.VMOps)
}
