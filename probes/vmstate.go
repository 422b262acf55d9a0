package probes

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/digitalocean/go-libvirt"
)

// stateWords names libvirt's virDomainState values as operators read them.
var stateWords = map[libvirt.DomainState]string{
	libvirt.DomainNostate:     "nostate",
	libvirt.DomainRunning:     "running",
	libvirt.DomainBlocked:     "blocked",
	libvirt.DomainPaused:      "paused",
	libvirt.DomainShutdown:    "shutdown",
	libvirt.DomainShutoff:     "shutoff",
	libvirt.DomainCrashed:     "crashed",
	libvirt.DomainPmsuspended: "pmsuspended",
}

// reasonWords names the virDomain*Reason enums per state, indexed by the
// reason value (libvirt-domain.h order, as go-libvirt's constants).
var reasonWords = map[libvirt.DomainState][]string{
	libvirt.DomainNostate: {"unknown"},
	libvirt.DomainRunning: {"unknown", "booted", "migrated", "restored", "fromsnapshot", "unpaused",
		"migration-canceled", "save-canceled", "wakeup", "crashed", "postcopy", "postcopy-failed"},
	libvirt.DomainBlocked: {"unknown"},
	libvirt.DomainPaused: {"unknown", "user", "migration", "save", "dump", "ioerror", "watchdog",
		"fromsnapshot", "shutdown", "snapshot", "crashed", "starting-up", "postcopy",
		"postcopy-failed", "api-error"},
	libvirt.DomainShutdown: {"unknown", "user"},
	libvirt.DomainShutoff: {"unknown", "shutdown", "destroyed", "crashed", "migrated", "saved",
		"failed", "fromsnapshot", "daemon"},
	libvirt.DomainCrashed:     {"unknown", "panicked"},
	libvirt.DomainPmsuspended: {"unknown"},
}

// libvirtStateWords turns a DomainGetState answer into words. Values outside
// libvirt's enums become "state-N" / "reason-N" so nothing is hidden.
func libvirtStateWords(state, reason int32) (string, string) {
	s, ok := stateWords[libvirt.DomainState(state)]
	if !ok {
		return "state-" + strconv.Itoa(int(state)), "reason-" + strconv.Itoa(int(reason))
	}
	rs := reasonWords[libvirt.DomainState(state)]
	if reason < 0 || int(reason) >= len(rs) {
		return s, "reason-" + strconv.Itoa(int(reason))
	}
	return s, rs[reason]
}

// errorPause lists the reasons that leave a guest paused because something
// went wrong (as opposed to an operator or a migration pausing it).
var errorPause = map[string]bool{
	"ioerror": true, "watchdog": true, "crashed": true, "api-error": true, "postcopy-failed": true,
}

// VMStatus rates one VM: crashed or killed (shut off, crashed) is CRIT; an
// error pause, a failed post-copy, or an autostart VM that is down is WARN;
// a state libvirt does not define is UNKNOWN; everything else is OK.
func VMStatus(v VM) Status {
	switch {
	case v.State == "crashed", v.State == "shutoff" && v.Reason == "crashed":
		return CRIT
	case strings.HasPrefix(v.State, "state-"):
		return UNKNOWN
	case v.State == "paused" && errorPause[v.Reason],
		v.State == "running" && v.Reason == "postcopy-failed":
		return WARN
	case v.Autostart && autostartDown(v.State):
		return WARN
	}
	return OK
}

// autostartDown reports whether an autostart VM in state is not running.
func autostartDown(state string) bool {
	return state == "shutoff" || state == "nostate"
}

// notableReason reports whether a VM's reason belongs in the summary.
func notableReason(v VM) bool {
	switch v.State {
	case "paused":
		return true
	case "shutoff":
		return v.Reason == "crashed" || v.Reason == "failed"
	case "crashed":
		return v.Reason != "unknown"
	case "running":
		return v.Reason == "postcopy-failed"
	}
	return false
}

// summaryOrder is the order states appear in in a vms summary.
var summaryOrder = []string{"running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended", "nostate"}

// VMSummary rates a host's VMs and describes them in one line, e.g.
// "5 VMs: 2 running, 1 paused (ioerror), 1 crashed, 1 shutoff", plus one
// detail line per VM that is not plainly fine.
func VMSummary(vms []VM) (Status, string, string) {
	st := OK
	counts := map[string]int{}
	reasons := map[string]map[string]int{}
	var details []string
	down := 0
	for _, v := range vms {
		vs := VMStatus(v)
		st = st.Worse(vs)
		counts[v.State]++
		if notableReason(v) {
			if reasons[v.State] == nil {
				reasons[v.State] = map[string]int{}
			}
			reasons[v.State][v.Reason]++
		}
		if v.Autostart && autostartDown(v.State) {
			down++
		}
		if vs != OK || v.State != "running" {
			details = append(details, fmt.Sprintf("%s: %s (%s)%s", v.Name, v.State, v.Reason, autostartNote(v)))
		}
	}
	parts := stateParts(counts, reasons)
	line := fmt.Sprintf("%d VMs", len(vms))
	if len(vms) == 1 {
		line = "1 VM"
	}
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	if down > 0 {
		line += fmt.Sprintf("; %d autostart VM down", down)
	}
	if named := namedProblem(vms, st); named != "" {
		line = named + "; " + line
	}
	return st, line, strings.Join(details, "\n")
}

// namedProblem leads a vms summary that is not OK with the VM to look at,
// by name: "VM db-main crashed (autostart)", "+2 more" when there are
// others as bad.
func namedProblem(vms []VM, worst Status) string {
	if worst == OK {
		return ""
	}
	var first VM
	n := 0
	for _, v := range vms {
		if VMStatus(v) == worst {
			if n == 0 {
				first = v
			}
			n++
		}
	}
	s := "VM " + first.Name + " " + vmProblemWords(first)
	if n > 1 {
		s += fmt.Sprintf(" +%d more", n-1)
	}
	return s
}

// vmProblemWords says what is wrong with one VM in a few words.
func vmProblemWords(v VM) string {
	var s string
	switch {
	case v.State == "crashed", v.State == "shutoff" && v.Reason == "crashed":
		s = "crashed"
	case v.Autostart && autostartDown(v.State):
		return "down (autostart)"
	case v.Reason != "" && v.Reason != "unknown":
		s = v.State + " (" + v.Reason + ")"
	default:
		s = v.State
	}
	if v.Autostart {
		s += " (autostart)"
	}
	return s
}

func autostartNote(v VM) string {
	if v.Autostart && autostartDown(v.State) {
		return " autostart VM down"
	}
	return ""
}

// stateParts renders "N state (reasons)" in summaryOrder, then any
// undefined states sorted by name.
func stateParts(counts map[string]int, reasons map[string]map[string]int) []string {
	order := append([]string(nil), summaryOrder...)
	var extra []string
	for s := range counts {
		if _, known := stateWordsByName[s]; !known {
			extra = append(extra, s)
		}
	}
	sort.Strings(extra)
	var parts []string
	for _, s := range append(order, extra...) {
		if counts[s] == 0 {
			continue
		}
		p := fmt.Sprintf("%d %s", counts[s], s)
		if r := reasonList(reasons[s], counts[s]); r != "" {
			p += " (" + r + ")"
		}
		parts = append(parts, p)
	}
	return parts
}

var stateWordsByName = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range stateWords {
		m[w] = true
	}
	return m
}()

// reasonList renders reasons sorted by name; a count is shown only when
// the reasons do not all apply to every VM of the state.
func reasonList(rs map[string]int, total int) string {
	if len(rs) == 0 {
		return ""
	}
	names := make([]string, 0, len(rs))
	for r := range rs {
		names = append(names, r)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, r := range names {
		out[i] = r
		if rs[r] != total {
			out[i] = strconv.Itoa(rs[r]) + " " + r
		}
	}
	return strings.Join(out, ", ")
}

// rateVMs sets each libvirt VM's Status; the slice is the report's own.
func rateVMs(vms []VM) []VM {
	for i := range vms {
		vms[i].Status = VMStatus(vms[i])
	}
	return vms
}
