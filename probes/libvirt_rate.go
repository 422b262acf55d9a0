package probes

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hvFacts is what the libvirt API told about the daemon this round.
type hvFacts struct {
	libVer, hvVer    uint64
	hvType, hostname string
	err              error // set when the API did not answer
	answered         bool  // the version calls succeeded this round
	latency          time.Duration
	via              string // how the facts were read when not the tunnel (viaVirsh)
}

// versionText is "libvirt 9.0.0, QEMU 8.2.0".
func (f hvFacts) versionText() string {
	hv := f.hvType
	if hv == "" {
		hv = "hypervisor"
	}
	return fmt.Sprintf("libvirt %s, %s %s", remote.FormatVersion(f.libVer), hv, remote.FormatVersion(f.hvVer))
}

// reportVersion is HostReport.Version: "QEMU 8.2.0 / libvirt 9.0.0".
func (f hvFacts) reportVersion() string {
	if !f.answered {
		return ""
	}
	hv := f.hvType
	if hv == "" {
		hv = "hypervisor"
	}
	return remote.CleanLine(fmt.Sprintf("%s %s / libvirt %s", hv, remote.FormatVersion(f.hvVer), remote.FormatVersion(f.libVer)))
}

// unitFacts is the latest known state of the hypervisor's units.
type unitFacts struct {
	states []remote.UnitState
	err    error
	at     time.Time
	fresh  bool // read this round
	known  bool // states or err hold an answer
	// since is when the host says the first unit not active left the
	// active state (zero when it does not know or was not asked).
	since time.Time
}

// downUnits names the units that are not active.
func (u unitFacts) downUnits() []string {
	var out []string
	for _, s := range u.states {
		if s.State != "active" {
			out = append(out, s.Unit)
		}
	}
	return out
}

// notActive lists units that are not active, as "libvirtd inactive".
func (u unitFacts) notActive() []string {
	var out []string
	for _, s := range u.states {
		if s.State != "active" {
			out = append(out, s.Unit+" "+s.State)
		}
	}
	return out
}

func (u unitFacts) detail() string {
	if !u.known {
		return "units: not checked yet"
	}
	if u.err != nil {
		return "units: " + reason(u.err)
	}
	parts := make([]string, len(u.states))
	for i, s := range u.states {
		parts[i] = s.Unit + "=" + s.State
	}
	// no clock time here: the console writes every time one way (the
	// check's own time is beside it); a state kept from an earlier round
	// says so
	if !u.fresh {
		return "units: " + strings.Join(parts, " ") + " (read in an earlier round)"
	}
	return "units: " + strings.Join(parts, " ")
}

// hypervisorResult rates the hypervisor check. When the API answers the
// daemon is up: OK, or WARN when a unit is not active, or UNKNOWN when the
// unit state read this round was garbage. When the API does not answer it
// is CRIT, explained by the unit state.
func hypervisorResult(h hosts.Host, hv hvFacts, u unitFacts, at time.Time) Result {
	details := []string{u.detail()}
	if hv.via != "" {
		details = append(details, hv.via)
	}
	if hv.hostname != "" {
		details = append([]string{"hostname: " + hv.hostname}, details...)
	}
	if hv.err == nil {
		st, sum := OK, hv.versionText()
		switch {
		case u.fresh && u.err != nil:
			st, sum = UNKNOWN, sum+"; unit state unknown: "+reason(u.err)
		case u.known && u.err == nil && len(u.notActive()) > 0:
			st, sum = WARN, sum+"; "+strings.Join(u.notActive(), ", ")
		}
		return newResult(h.Name, hosts.CheckHypervisor, st, sum, strings.Join(details, "\n"), u.err, hv.latency, at)
	}
	if errors.Is(hv.err, errMalformedReply) {
		// The daemon answered, but with garbage: neither up nor down.
		return newResult(h.Name, hosts.CheckHypervisor, UNKNOWN, reason(hv.err), strings.Join(details, "\n"), hv.err, hv.latency, at)
	}
	if linkInDoubt(u) {
		return newResult(h.Name, hosts.CheckHypervisor, UNKNOWN, summaryLinkInDoubt, strings.Join(details, "\n"),
			errors.Join(hv.err, u.err), hv.latency, at)
	}
	sum := SummaryNotRunning + ": "
	switch {
	case u.err != nil || !u.known:
		sum += fmt.Sprintf("libvirt API not answering (%s); unit state unknown", reason(hv.err))
		if u.err != nil {
			sum += " (" + reason(u.err) + ")"
		}
	case len(u.notActive()) > 0:
		sum += strings.Join(u.notActive(), ", ")
		r := newResult(h.Name, hosts.CheckHypervisor, CRIT, sum, strings.Join(details, "\n"), hv.err, hv.latency, at)
		r.Since = u.since
		return r
	default:
		active := make([]string, len(u.states))
		for i, s := range u.states {
			active[i] = s.Unit
		}
		sum += fmt.Sprintf("libvirt API not answering (%s); %s active", reason(hv.err), strings.Join(active, ", "))
	}
	return newResult(h.Name, hosts.CheckHypervisor, CRIT, sum, strings.Join(details, "\n"), hv.err, hv.latency, at)
}

// vmFacts is the domain list with states, or why it could not be read.
type vmFacts struct {
	vms     []VM
	capped  bool
	err     error
	latency time.Duration
	via     string // as hvFacts.via
}

func vmsResult(h hosts.Host, f vmFacts, at time.Time) Result {
	if f.err != nil {
		why := reason(f.err)
		if isChannelRefused(f.err) {
			// the daemon's socket refused: the hypervisor check says why;
			// the chain is in Err for the details view
			why = "libvirt not answering"
		}
		return newResult(h.Name, hosts.CheckVMs, UNKNOWN, "VM list unavailable: "+why, "", f.err, f.latency, at)
	}
	st, sum, details := VMSummary(f.vms)
	if f.capped {
		sum += fmt.Sprintf(" (only the first %d checked)", remote.MaxDomains)
	}
	if f.via != "" {
		details = strings.TrimSpace(details + "\n" + f.via)
	}
	return newResult(h.Name, hosts.CheckVMs, st, sum, details, nil, f.latency, at)
}

// kvmResult rates KVM facts: OK only with /dev/kvm present and usable and a
// kvm module loaded; CRIT names every missing piece.
func kvmResult(h hosts.Host, f remote.KVMFacts, err error, lat time.Duration, at time.Time) Result {
	if err != nil {
		return newResult(h.Name, hosts.CheckKVM, UNKNOWN, "kvm facts unavailable: "+reason(err), "", err, lat, at)
	}
	var problems []string
	switch {
	case !f.DevPresent:
		problems = append(problems, "no /dev/kvm")
	case !f.DevRW:
		problems = append(problems, "/dev/kvm not accessible (rw denied)")
	}
	if len(f.Modules) == 0 {
		problems = append(problems, "no kvm module loaded")
	}
	details := "modules: " + strings.Join(f.Modules, " ")
	if len(problems) > 0 {
		return newResult(h.Name, hosts.CheckKVM, CRIT, strings.Join(problems, "; "), details, nil, lat, at)
	}
	return newResult(h.Name, hosts.CheckKVM, OK, "/dev/kvm rw, "+strings.Join(f.Modules, ", ")+" loaded", details, nil, lat, at)
}
