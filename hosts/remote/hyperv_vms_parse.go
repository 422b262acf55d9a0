package remote

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Hyper-V VM states. Get-VM's State is mapped by NAME: the enum's numbers
// differ between Windows versions. The WMI v2 documentation
// (Msvm_ComputerSystem.RequestStateChange) numbers the Critical states from
// 32781 (RunningCritical) to 32792 (FastSavingCritical), while the Hyper-V
// PowerShell module's VMState enum since Server 2016 puts ForceShutdown,
// ForceReboot, Hibernated and ComponentServicing at 32781-32784 and the
// Critical states at 32785-32796. So a number (5.1 without .ToString())
// is read only through hyperVStateNumbers:
//
//   - 1-11 and 32773-32780 mean the same everywhere and map to their names;
//   - 32785-32796 are a Critical state in both numberings (which one
//     differs), so they map to a critical "state-N";
//   - 32781-32784 and anything else are UNKNOWN.

// hyperVStateWords maps VMState names to the VM.State words. The states
// libvirt shares keep libvirt's words (running, paused, shutoff), so mixed
// fleets read one vocabulary; the rest are Hyper-V's names in lower case.
var hyperVStateWords = map[string]string{
	"Other": "other", "Running": "running", "Off": "shutoff", "Stopping": "stopping",
	"Saved": "saved", "Paused": "paused", "Starting": "starting", "Reset": "reset",
	"Saving": "saving", "Pausing": "pausing", "Resuming": "resuming",
	"FastSaved": "fastsaved", "FastSaving": "fastsaving", "ForceShutdown": "forceshutdown",
	"ForceReboot": "forcereboot", "Hibernated": "hibernated", "ComponentServicing": "componentservicing",
}

// hyperVCriticalBases are the states that have a Critical variant.
var hyperVCriticalBases = []string{"Running", "Off", "Stopping", "Saved", "Paused", "Starting",
	"Reset", "Saving", "Pausing", "Resuming", "FastSaved", "FastSaving"}

// hyperVStateNames lists every VMState name, Critical variants included.
var hyperVStateNames = func() []string {
	var out []string
	for n := range hyperVStateWords {
		out = append(out, n)
	}
	for _, n := range hyperVCriticalBases {
		out = append(out, n+"Critical")
	}
	return out
}()

// hyperVStateNumbers is the documented number table (see above).
var hyperVStateNumbers = map[int64]string{
	1: "Other", 2: "Running", 3: "Off", 4: "Stopping", 6: "Saved", 9: "Paused", 10: "Starting",
	11: "Reset", 32773: "Saving", 32776: "Pausing", 32777: "Resuming", 32779: "FastSaved", 32780: "FastSaving",
}

// Numbers that are a Critical state in every numbering.
const (
	firstSharedCritical = 32785
	lastSharedCritical  = 32796
)

// ReasonCritical is VM.Reason for a VM in one of Hyper-V's Critical states
// (its storage or configuration is unreachable).
const ReasonCritical = "critical"

// startActionNames are Microsoft.HyperV.PowerShell.StartAction by name and
// number.
var (
	startActionNames   = []string{"Nothing", "StartIfRunning", "Start"}
	startActionNumbers = map[int64]string{2: "Nothing", 3: "StartIfRunning", 4: "Start"}
)

// HyperVVM is one VM as Get-VM reported it, mapped to the shared VM words.
type HyperVVM struct {
	Name string
	// State and Reason are the shared VM words (running, shutoff; critical).
	State, Reason string
	// Autostart is set when the VM starts with the host (StartAction Start).
	Autostart bool
	// HyperVState is the state as Hyper-V names it ("Off", "RunningCritical",
	// or "state-N" for an unmapped number).
	HyperVState string
	// Known is false for a state outside the tables: UNKNOWN.
	Known bool
	// Status is Get-VM's Status text ("Operating normally").
	Status string
	Uptime time.Duration
	// StartAction is AutomaticStartAction: Nothing, StartIfRunning or Start.
	StartAction string
}

// HyperVVMFacts is what HyperVVMsScript reported.
type HyperVVMFacts struct {
	VMs []HyperVVM
	// Error is Get-VM's error (vmms stopped, no Hyper-V module, access).
	Error string
	Notes []string
}

// ParseHyperVVMs parses HyperVVMsScript's output.
func ParseHyperVVMs(out string) (HyperVVMFacts, error) {
	var raw struct{ VMs, Error json.RawMessage }
	var f HyperVVMFacts
	notes, err := decodePSDoc(out, &raw)
	if err != nil {
		return f, err
	}
	f.Notes = notes
	e, err := psString(raw.Error)
	if err != nil {
		return f, psFieldErr("Error", err)
	}
	f.Error = Clean(e)
	items, err := psList(raw.VMs)
	if err != nil {
		return f, psFieldErr("VMs", err)
	}
	if len(items) > MaxDomains {
		return f, fmt.Errorf("%w: %d VMs, more than %d", ErrUnparseable, len(items), MaxDomains)
	}
	for i, it := range items {
		v, err := parseHyperVVM(it)
		if err != nil {
			return f, fmt.Errorf("%w: VM %d: %w", ErrUnparseable, i+1, err)
		}
		f.VMs = append(f.VMs, v)
	}
	return f, nil
}

func parseHyperVVM(raw json.RawMessage) (HyperVVM, error) {
	var r struct{ Name, State, Status, Uptime, AutomaticStartAction json.RawMessage }
	var v HyperVVM
	if err := json.Unmarshal(raw, &r); err != nil {
		return v, err
	}
	name, err := psString(r.Name)
	if err != nil || strings.TrimSpace(name) == "" {
		return v, fmt.Errorf("%w: VM without a name", errPSType)
	}
	v.Name = CleanLine(name)
	if err := v.readState(r.State); err != nil {
		return v, err
	}
	status, err := psString(r.Status)
	if err != nil {
		return v, err
	}
	v.Status = CleanLine(status)
	if v.Uptime, err = psDuration(r.Uptime); err != nil {
		return v, err
	}
	if v.StartAction, _, err = psEnum(r.AutomaticStartAction, startActionNames, startActionNumbers); err != nil {
		return v, err
	}
	v.StartAction = CleanLine(v.StartAction)
	// StartIfRunning is the default of every new VM and restores what was:
	// only "Start" (always start) makes an Off VM a surprise.
	v.Autostart = v.StartAction == "Start"
	return v, nil
}

// readState maps State by name, or a number through the documented table.
func (v *HyperVVM) readState(raw json.RawMessage) error {
	name, known, err := psEnum(raw, hyperVStateNames, hyperVStateNumbers)
	switch {
	case err != nil:
		return err
	case CleanLine(name) == "": // also blanks or only invisible characters
		return fmt.Errorf("%w: VM without a state", errPSType)
	}
	v.HyperVState, v.Known = CleanLine(name), known
	if !known {
		n, nerr := strconv.ParseInt(name, 10, 64)
		if nerr != nil { // a name this table does not know
			v.State = strings.ToLower(truncateRunes(v.HyperVState, maxStateWord))
			return nil
		}
		v.HyperVState = "state-" + name
		v.State = v.HyperVState
		if n >= firstSharedCritical && n <= lastSharedCritical {
			v.Known, v.Reason = true, ReasonCritical
		}
		return nil
	}
	base, critical := strings.CutSuffix(name, "Critical")
	v.State = hyperVStateWords[base]
	if critical {
		v.Reason = ReasonCritical
	}
	return nil
}

// psDuration reads an uptime: seconds (our projection), a 5.1 TimeSpan
// object with TotalSeconds, or TimeSpan text "[d.]hh:mm:ss[.fffffff]".
func psDuration(raw json.RawMessage) (time.Duration, error) {
	if psNull(raw) {
		return 0, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		ts, ok := psField(obj, "TotalSeconds")
		if !ok {
			return 0, fmt.Errorf("%w: uptime object without TotalSeconds", errPSType)
		}
		return psDuration(ts)
	}
	if s, err := psString(raw); err == nil && strings.Contains(s, ":") {
		return parseTimeSpan(s)
	}
	secs, _, err := psNumber(raw)
	if err != nil || secs < 0 || secs > 1e10 {
		return 0, fmt.Errorf("%w: bad uptime %s", errPSType, psExcerpt(raw))
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// parseTimeSpan reads .NET TimeSpan text: "[d.]hh:mm:ss[.fffffff]".
func parseTimeSpan(s string) (time.Duration, error) {
	bad := fmt.Errorf("%w: bad TimeSpan %q", errPSType, CleanLine(psShort(s)))
	var days int64
	if d, rest, ok := strings.Cut(s, "."); ok && !strings.Contains(d, ":") {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil || n < 0 {
			return 0, bad
		}
		days, s = n, rest
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, bad
	}
	h, err1 := strconv.ParseUint(parts[0], 10, 8)
	m, err2 := strconv.ParseUint(parts[1], 10, 8)
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil || h > 23 || m > 59 || sec < 0 || sec >= 60 || math.IsNaN(sec) {
		return 0, bad
	}
	total := float64(days)*86400 + float64(h)*3600 + float64(m)*60 + sec
	return time.Duration(total * float64(time.Second)), nil
}
