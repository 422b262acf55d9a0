package hosts

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hvconsole/hvconsole/hosts/safetext"
)

// VM operations: what `vm_actions` may allow and the action layer carries
// out on one VM.
const (
	VMStart   = "start"   // start a shut-off VM (crashed or not)
	VMResume  = "resume"  // resume a paused VM
	VMDestroy = "destroy" // force a VM off (a hung one): opt-in
)

// VMOps lists the operations in the order the console offers them.
var VMOps = []string{VMStart, VMResume, VMDestroy}

// DefaultVMActions are allowed when a config does not say: start and
// resume change nothing a VM was not meant to be doing; destroy is opt-in.
var DefaultVMActions = []string{VMStart, VMResume}

// VMAllowed reports whether op is on the host's vm_actions list.
func (h Host) VMAllowed(op string) bool { return slices.Contains(h.VMActions, op) }

// MaxVMName bounds a VM name hvconsole acts on (libvirt and Hyper-V names
// are shorter in practice).
const MaxVMName = 200

// VMNameProblem says why name cannot be acted on ("" when it can). A VM
// name reaches a host as a libvirt RPC string or as a PowerShell
// single-quoted literal, so anything a quote, a variable or a control
// could hide behind is refused outright: quotes of every kind, $, the
// backtick, control and invisible characters, leading or trailing space.
func VMNameProblem(name string) string {
	switch {
	case name == "":
		return "empty VM name"
	case len(name) > MaxVMName:
		return "VM name longer than 200 bytes"
	case !utf8.ValidString(name):
		return "VM name not valid UTF-8"
	case strings.TrimSpace(name) != name:
		return "VM name with leading or trailing space"
	}
	for _, r := range name {
		switch {
		case safetext.Drop(r):
			return "VM name holds a control or invisible character"
		case strings.ContainsRune(psSingleQuotes+psDoubleQuotes+"$`", r):
			return "VM name holds " + quote(string(r)) + ", which hvconsole does not pass to a host"
		}
	}
	return ""
}

// ValidVMName reports whether name may be acted on (see VMNameProblem).
func ValidVMName(name string) bool { return VMNameProblem(name) == "" }

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
	if slices.Contains(VMOps, s) {
		return ""
	}
	return "unknown VM action " + quote(s) + ": want " + strings.Join(VMOps, ", ") + didYouMean(s, VMOps)
}
