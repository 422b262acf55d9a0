package probes

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Summaries shared by several checks.
const (
	// SummaryUnreachable is the summary of every check that depends on a
	// connection the host refused or never gave.
	SummaryUnreachable = "host unreachable"
	// SummaryNotRunning starts every hypervisor CRIT summary.
	SummaryNotRunning = "hypervisor not running"
)

// Status is the outcome of a check, ordered by how much an operator must care.
type Status int

// Statuses. The zero value is OK; Severity gives the alerting order.
const (
	OK Status = iota
	WARN
	CRIT
	UNKNOWN
)

// String returns the status word as printed everywhere ("OK", "CRIT", ...).
func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case WARN:
		return "WARN"
	case CRIT:
		return "CRIT"
	case UNKNOWN:
		return "UNKNOWN"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// ExitCode is the Nagios plugin exit code for the status.
func (s Status) ExitCode() int { return int(s) }

// Severity ranks statuses for "worst of": CRIT > UNKNOWN > WARN > OK.
func (s Status) Severity() int {
	switch s {
	case CRIT:
		return 3
	case UNKNOWN:
		return 2
	case WARN:
		return 1
	}
	return 0
}

// Worse returns the more severe of s and o.
func (s Status) Worse(o Status) Status {
	if o.Severity() > s.Severity() {
		return o
	}
	return s
}

// ParseStatus is the inverse of String; it accepts any case.
func ParseStatus(word string) (Status, error) {
	for _, s := range []Status{OK, WARN, CRIT, UNKNOWN} {
		if strings.EqualFold(word, s.String()) {
			return s, nil
		}
	}
	return UNKNOWN, fmt.Errorf("probes: unknown status %q", word)
}

// MarshalJSON writes the status as its word.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads the status word.
func (s *Status) UnmarshalJSON(b []byte) error {
	var w string
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	v, err := ParseStatus(w)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Result is the immutable outcome of one check on one host. All text fields
// are already stripped of control characters (see Clean).
type Result struct {
	Host    string
	Check   string
	Status  Status
	Summary string // one line
	Details string // may span lines
	Latency time.Duration
	Time    time.Time
	Err     string // the underlying error text, if any
	// Since is when the host itself says the state reported began (a dead
	// daemon: when its unit left the active state), on our clock: the
	// host's own age of the event, by its monotonic clock, taken from when
	// we read it, so a host whose wall clock is wrong still gives the right
	// time, to within one command's round trip. Zero when the host does
	// not know; the console then says "seen since" (when it saw it).
	Since time.Time
}

// VM is one domain as seen by the vms check.
type VM struct {
	Name   string
	State  string // running, blocked, paused, shutdown, shutoff, crashed, pmsuspended
	Reason string // e.g. "booted", "ioerror", "crashed", "user"
	// Autostart is set when the hypervisor starts the VM with the host.
	Autostart bool
	// Status is how this VM's state rates (VMStatus on libvirt hosts,
	// hyperVVMStatus on Hyper-V hosts); the UI shows it as is, so every
	// view agrees with the vms check.
	Status Status
}

// HostReport is everything one probe round learned about one host. It is a
// value: the scheduler never mutates a report after sending it.
type HostReport struct {
	Host string
	// Site is the collector a report came through on an attached console
	// (its [serve] site, else its target); empty for a host probed here.
	Site    string
	Address string
	Tags    []string
	// Kind is the hypervisor kind (hosts.KindLibvirt, ...).
	Kind string
	// Version is the hypervisor version text, e.g. "QEMU 8.2.0 / libvirt 9.0.0".
	Version string
	Status  Status
	// Checks in a stable order: ssh first, then the configured checks.
	Checks []Result
	VMs    []VM
	// VMsAsOf is set when VMs is not this round's answer but the last list
	// read (the daemon or the host did not answer): it is when that list was
	// read. Zero means VMs is this round's.
	VMsAsOf time.Time
	// SSHLatency is the latest round-trip time to the host (0 if unreachable).
	SSHLatency time.Duration
	Time       time.Time
	// Backups are the backups check's per-spec outcomes and Pools the
	// storage check's pools (nil when those checks did not run), for the
	// collector's metrics.
	Backups []BackupResult
	Pools   []Pool
	// Resources are the host's figures from the resources check, for the
	// host pane's gauges and the fleet table's mem/disk column (nil when
	// the check is not configured or read nothing).
	Resources *Resources
}

// Resources are a host's capacity figures as the resources check read
// them, for the UI; the check's Result carries the verdict. Sizes are in
// bytes; a zero MemTotal means memory was not read.
type Resources struct {
	MemTotal, MemFree uint64
	// MemCommitted is the maximum memory of the running VMs, summed
	// (0 when unknown).
	MemCommitted uint64
	CPUs         int
	Model        string
	// Load1 is the 1-minute load average (-1 when not read).
	Load1 float64
	Disks []remote.DiskUse
}

// Worst returns the check with the worst status (the first one on ties),
// and false when there are no checks.
func (r HostReport) Worst() (Result, bool) {
	if len(r.Checks) == 0 {
		return Result{}, false
	}
	w := r.Checks[0]
	for _, c := range r.Checks[1:] {
		if c.Status.Severity() > w.Status.Severity() {
			w = c
		}
	}
	return w, true
}

// VMCounts returns how many VMs run and how many there are.
func (r HostReport) VMCounts() (running, total int) {
	for _, v := range r.VMs {
		if v.State == "running" {
			running++
		}
	}
	return running, len(r.VMs)
}

// Check returns the named check's result, if present.
func (r HostReport) Check(name string) (Result, bool) {
	for _, c := range r.Checks {
		if c.Check == name {
			return c, true
		}
	}
	return Result{}, false
}

// WorstOf folds statuses with Worse; no statuses is OK.
func WorstOf(results []Result) Status {
	s := OK
	for _, r := range results {
		s = s.Worse(r.Status)
	}
	return s
}

// newResult builds a Result with all text cleaned and capped.
func newResult(host, check string, st Status, summary, details string, err error, lat time.Duration, at time.Time) Result {
	r := Result{Host: host, Check: check, Status: st, Summary: remote.CleanSummary(summary),
		Details: remote.Clean(details), Latency: lat, Time: at}
	if err != nil {
		r.Err = remote.Clean(err.Error())
	}
	return r
}

// reason is a short operator-facing cause for err; the full chain goes to
// Result.Err. A host's text in it (libvirt's message, any layer) is
// cleaned here, as summaries put our own words after it.
func reason(err error) string {
	var le libvirt.Error
	switch {
	case errors.Is(err, errCallTimeout):
		return "no answer before the deadline"
	case errors.Is(err, errMalformedReply):
		return "malformed libvirt reply"
	case errors.Is(err, errLibvirtClosed):
		return "connection closed"
	case errors.As(err, &le):
		return remote.CleanLine(le.Message)
	case errors.Is(err, libvirt.ErrInterrupted):
		return "connection lost during the call"
	}
	return wordsText(err.Error())
}
