// Package wire is the JSON form of probe reports that leaves the process:
// `hvconsole check --json`, and the attach API between `hvconsole serve`
// and attached consoles (a snapshot, and a stream of newline-delimited
// messages). Field names are a public contract: change only by adding.
//
// serve encodes it and attach decodes it; neither imports the other, so
// the contract lives here, beside the reports it carries.
package wire

import (
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

// Host is one host's latest report. The first five fields are the
// original `check --json` document; the rest were added for attach.
type Host struct {
	Name    string        `json:"name"`
	Address string        `json:"address"`
	Status  probes.Status `json:"status"`
	Checks  []Check       `json:"checks"`
	VMs     []VM          `json:"vms"`

	Kind    string    `json:"kind,omitempty"`
	Version string    `json:"version,omitempty"`
	Tags    []string  `json:"tags,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	// VMsAsOf is set when VMs is not this round's answer but the last list
	// read (probes.HostReport.VMsAsOf).
	VMsAsOf time.Time `json:"vms_as_of,omitzero"`
	// Events are the host's recent status changes (snapshots only).
	Events []Event `json:"events,omitempty"`
}

// Check is one check's result.
type Check struct {
	Name      string        `json:"name"`
	Status    probes.Status `json:"status"`
	Summary   string        `json:"summary"`
	Details   string        `json:"details"`
	LatencyMS float64       `json:"latency_ms"`
	Time      time.Time     `json:"time,omitzero"`
	// Since is when the host itself says this state began (probes.Result.Since);
	// absent when the host does not know.
	Since time.Time `json:"since,omitzero"`
}

// VM is one domain.
type VM struct {
	Name      string         `json:"name"`
	State     string         `json:"state"`
	Reason    string         `json:"reason"`
	Autostart bool           `json:"autostart,omitempty"`
	Rating    *probes.Status `json:"rating,omitempty"`
}

// Event is one status change of one check.
type Event struct {
	Time    time.Time `json:"time"`
	Check   string    `json:"check"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Summary string    `json:"summary"`
}

// Snapshot is the whole fleet as a collector sees it now.
type Snapshot struct {
	Time time.Time `json:"time"`
	// Site is the collector's [serve] site ("" when unset).
	Site string `json:"site,omitempty"`
	// Ready is set once every host has reported once.
	Ready  bool          `json:"ready"`
	Status probes.Status `json:"status"`
	Hosts  []Host        `json:"hosts"`
	// Acks are the acknowledgements the collector holds (see Ack).
	Acks []Ack `json:"acks,omitempty"`
}

// Message types of the attach stream.
const (
	// TypeSnapshot carries the whole fleet: first on every stream, and
	// again after the collector's inventory changed (a reload).
	TypeSnapshot = "snapshot"
	// TypeReport carries one host's new report.
	TypeReport = "report"
	// TypeHeartbeat says the collector lives; it is sent every
	// HeartbeatInterval, so a silent stream is a dead collector.
	TypeHeartbeat = "heartbeat"
)

// HeartbeatInterval is how often a collector sends a heartbeat; a viewer
// that hears nothing for 3 intervals treats the collector as gone.
const HeartbeatInterval = 5 * time.Second

// Message is one line of the attach stream.
type Message struct {
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	Host     *Host     `json:"host,omitempty"`
	// Acks is every current ack, in a TypeAcks message.
	Acks []Ack `json:"acks,omitempty"`
}

// FromReport converts a report.
func FromReport(r probes.HostReport) Host {
	h := Host{Name: r.Host, Address: r.Address, Status: r.Status, Checks: make([]Check, 0, len(r.Checks)),
		VMs: make([]VM, 0, len(r.VMs)), Kind: r.Kind, Version: r.Version, Tags: r.Tags, Time: r.Time,
		VMsAsOf: r.VMsAsOf}
	for _, c := range r.Checks {
		h.Checks = append(h.Checks, Check{Name: c.Check, Status: c.Status, Summary: c.Summary, Details: c.Details,
			LatencyMS: float64(c.Latency.Microseconds()) / 1000, Time: c.Time, Since: c.Since})
	}
	for _, v := range r.VMs {
		rating := v.Status
		h.VMs = append(h.VMs, VM{Name: v.Name, State: v.State, Reason: v.Reason, Autostart: v.Autostart, Rating: &rating})
	}
	return h
}

// Report converts back; text is cleaned again, since it crossed a
// process boundary.
func (h Host) Report() probes.HostReport {
	r := probes.HostReport{Host: remote.CleanLine(h.Name), Address: remote.CleanLine(h.Address), Status: h.Status,
		Kind: remote.CleanLine(h.Kind), Version: remote.CleanLine(h.Version), Time: h.Time, VMsAsOf: h.VMsAsOf}
	for _, t := range h.Tags {
		r.Tags = append(r.Tags, remote.CleanLine(t))
	}
	for _, c := range h.Checks {
		r.Checks = append(r.Checks, probes.Result{Host: r.Host, Check: remote.CleanLine(c.Name), Status: c.Status,
			Summary: remote.CleanSummary(c.Summary), Details: remote.Clean(c.Details),
			Latency: time.Duration(c.LatencyMS * float64(time.Millisecond)), Time: c.Time, Since: c.Since})
	}
	for _, v := range h.VMs {
		vm := probes.VM{Name: remote.CleanLine(v.Name), State: remote.CleanLine(v.State),
			Reason: remote.CleanLine(v.Reason), Autostart: v.Autostart}
		if v.Rating != nil {
			vm.Status = *v.Rating
		} else {
			vm.Status = probes.VMStatus(vm)
		}
		r.VMs = append(r.VMs, vm)
	}
	return r
}

// FleetStatus is the worst host status; an empty fleet is UNKNOWN because
// nothing was checked.
func FleetStatus(reports []probes.HostReport) probes.Status {
	if len(reports) == 0 {
		return probes.UNKNOWN
	}
	s := probes.OK
	for _, r := range reports {
		s = s.Worse(r.Status)
	}
	return s
}
