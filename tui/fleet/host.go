// Package fleet keeps one row per host, built from the inventory and updated
// in place from probe reports, and draws the fleet table: only the visible
// rows, filtered and sorted lazily (once per batch of reports, and only when
// a field the order depends on changed).
package fleet

import (
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/ack"
	"github.com/hvconsole/hvconsole/tui/cell"
)

// HistoryLen is how many latency samples a host keeps for its sparkline.
const HistoryLen = 40

// Host is one fleet row: the inventory facts, the latest report and the
// strings the table draws, cleaned and cached when the report arrives so a
// frame never re-cleans or re-formats remote text.
type Host struct {
	Name    string
	Address string
	Tags    []string
	Kind    string
	// Site is the collector the host is seen through on an attached
	// console (probes.HostReport.Site), cleaned; "" for a host probed here.
	Site string

	// Report is the latest report; Reported is false until the first one.
	Report   probes.HostReport
	Reported bool
	// Changed is when the host's status last changed (or first arrived):
	// the host's own time of it where the host told it (ChangedByHost),
	// else when this console saw it.
	Changed       time.Time
	ChangedByHost bool
	// Ack is the operator's acknowledgement of its problem, nil when none
	// (Table.SetAck sets it).
	Ack *ack.Ack

	history [HistoryLen]time.Duration
	histLen int
	histPos int

	// cached, cleaned cells; siteNameTags is nameTags without the
	// "site/" prefix, for a table that shows the site in its own column
	nameTags     string
	siteNameTags string
	kindVer      string
	vms          string
	worst        string
	latency      string
	lowerName    string
	lowerTags    []string
	lowerSite    string
	running      int
	total        int
	// memDisk and memDiskStyled are the MEM/DISK cell, padded to its
	// column, plain (for the selected row) and coloured by the resources
	// check's status; memDiskKey is what they show.
	memDisk       string
	memDiskStyled string
	memDiskKey    memDiskKey
}

// NewHost builds a row from an inventory entry.
func NewHost(h hosts.Host) *Host {
	r := &Host{Name: cell.Clean(h.Name), Address: cell.Clean(h.Address), Kind: cell.Clean(h.Hypervisor)}
	r.setTags(h.Tags)
	r.kindVer = r.Kind
	r.vms, r.worst, r.latency = "-", "", "-"
	r.memDiskKey = memDiskKey{mem: -1, disk: -1}
	r.memDisk = cell.Spaces(memDiskW-1) + "-"
	r.memDiskStyled = r.memDisk
	return r
}

func (h *Host) setTags(tags []string) {
	h.Tags = make([]string, len(tags))
	h.lowerTags = make([]string, len(tags))
	for i, t := range tags {
		h.Tags[i] = cell.Clean(t)
		h.lowerTags[i] = strings.ToLower(h.Tags[i])
	}
	h.lowerName = strings.ToLower(h.Name)
	h.nameTags, h.siteNameTags = h.Name, h.Name
	if h.Site != "" {
		h.siteNameTags = strings.TrimPrefix(h.Name, h.Site+"/")
	}
	if len(h.Tags) > 0 {
		tags := " " + strings.Join(h.Tags, ",")
		h.nameTags += tags
		h.siteNameTags += tags
	}
}

// Status is the host's current status (UNKNOWN-like Pending before a report).
func (h *Host) Status() probes.Status { return h.Report.Status }

// Pending reports a host that has not been probed yet.
func (h *Host) Pending() bool { return !h.Reported }

// Latency is the latest SSH round trip (0 if unreachable or never probed).
func (h *Host) Latency() time.Duration { return h.Report.SSHLatency }

// VMs returns the running and total VM counts of the latest report.
func (h *Host) VMs() (running, total int) { return h.running, h.total }

// VMsStale reports a VM list that is the last one read, not this round's
// (the host or its daemon did not answer); Report.VMsAsOf says when.
func (h *Host) VMsStale() bool { return h.Reported && !h.Report.VMsAsOf.IsZero() }

// Cells returns the cached text of the name+tags, kind+version, VM count,
// worst failing check and latency columns, all cleaned.
func (h *Host) Cells() (nameTags, kindVer, vms, worst, latency string) {
	return h.nameTags, h.kindVer, h.vms, h.worst, h.latency
}

// WorstFailing is the cleaned "check: summary" of the worst non-OK check,
// or "" when all checks pass.
func (h *Host) WorstFailing() string { return h.worst }

// change says which order-affecting fields an Apply touched.
type change struct {
	status, latency, changed, site bool
}

// apply folds a report into the row and caches its cells.
func (h *Host) apply(r probes.HostReport, now time.Time) change {
	var c change
	if !h.Reported || r.Status != h.Report.Status {
		c.status, c.changed = true, true
		h.Changed, h.ChangedByHost = r.Time, false
		if h.Changed.IsZero() {
			h.Changed = now
		}
	}
	// the host's own time of the change may come with a later report of
	// the same status (the probe that explains a loss)
	if at := hostSince(r); !h.ChangedByHost && !at.IsZero() && !at.After(h.Changed) {
		h.Changed, h.ChangedByHost = at, true
		c.changed = true
	}
	c.latency = r.SSHLatency != h.Report.SSHLatency
	if site := cell.Clean(r.Site); site != h.Site {
		c.site = true
		h.Site, h.lowerSite = site, strings.ToLower(site)
		h.setTags(h.Tags)
	}
	h.Report, h.Reported = r, true
	if r.Kind != "" {
		h.Kind = cell.Clean(r.Kind)
	}
	h.kindVer = h.Kind
	if r.Version != "" {
		h.kindVer += " " + cell.Clean(r.Version)
	}
	h.running, h.total = r.VMCounts()
	h.vms = strconv.Itoa(h.running) + "/" + strconv.Itoa(h.total)
	if h.VMsStale() {
		// the last list read, not this round's: "(4/6)"
		h.vms = "(" + h.vms + ")"
	}
	h.worst = ""
	if w, ok := r.Worst(); ok && w.Status != probes.OK {
		h.worst = cell.Clean(w.Check) + ": " + cell.Clean(probes.ShortCause(w))
	}
	h.latency = cell.Latency(r.SSHLatency)
	h.pushLatency(r.SSHLatency)
	return c
}

// hostSince is the host's own time of its current status: the Since of
// the worst check when that check has the host's status (zero if none).
func hostSince(r probes.HostReport) time.Time {
	if w, ok := r.Worst(); ok && w.Status == r.Status {
		return w.Since
	}
	return time.Time{}
}

// SinceText says since when the host is in its state, and whose time that
// is: "since 02:10:03 (6m) by the host" when the host told it, else "seen
// since 02:16:40 (4s)" (when this console saw it).
func (h *Host) SinceText(now time.Time) string {
	at := cell.Clock(h.Changed, now) + " (" + cell.Age(now.Sub(h.Changed)) + ")"
	if h.ChangedByHost {
		return "since " + at + " by the host"
	}
	return "seen since " + at
}

func (h *Host) pushLatency(d time.Duration) {
	h.history[h.histPos] = d
	h.histPos = (h.histPos + 1) % HistoryLen
	if h.histLen < HistoryLen {
		h.histLen++
	}
}

// History returns the latency samples, oldest first (0 = no answer).
func (h *Host) History() []time.Duration {
	out := make([]time.Duration, h.histLen)
	start := (h.histPos - h.histLen + HistoryLen) % HistoryLen
	for i := range out {
		out[i] = h.history[(start+i)%HistoryLen]
	}
	return out
}
