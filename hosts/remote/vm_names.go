package remote

import (
	"strconv"
	"strings"
	"unicode/utf8"
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
		case Drop(r):
			return "VM name holds a control or invisible character"
		case strings.ContainsRune(psSingleQuotes+psDoubleQuotes+"$`", r):
			return "VM name holds " + strconv.Quote(string(r)) + ", which hvconsole does not pass to a host"
		}
	}
	return ""
}

// ValidVMName reports whether name may be acted on (see VMNameProblem).
func ValidVMName(name string) bool { return VMNameProblem(name) == "" }
