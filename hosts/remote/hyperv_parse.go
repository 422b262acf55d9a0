package remote

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Parsers for HyperVHypervisorScript and HyperVVMsScript. Every
// text field is cleaned of control characters here, so nothing remote
// reaches a Result unfiltered. Garbage is an error wrapping ErrUnparseable.

// HyperVService is one Windows service's state as Get-Service reports it.
type HyperVService struct {
	Name string
	// Status is a ServiceControllerStatus name ("Running", "Stopped", ...)
	// or "NotFound"; an unmapped number stays as its digits.
	Status string
	// StartType is a ServiceStartMode name ("Automatic", "Manual", ...).
	StartType string
}

// HyperVRequirements are Get-ComputerInfo's HyperVRequirement* fields,
// which Windows fills only while no hypervisor runs; nil fields are unknown.
type HyperVRequirements struct {
	VMMonitorModeExtensions          *bool
	VirtualizationFirmwareEnabled    *bool
	SecondLevelAddressTranslation    *bool
	DataExecutionPreventionAvailable *bool
}

// HyperVHostFacts is what HyperVHypervisorScript reported.
type HyperVHostFacts struct {
	// Present is Win32_ComputerSystem.HypervisorPresent (nil: unknown, see
	// CimError).
	Present       *bool
	CimError      string
	OS, OSVersion string
	// LaunchType is the boot entry's raw hypervisorlaunchtype ("Auto",
	// "Off"); "" when the entry has none or bcdedit failed (BcdError).
	LaunchType string
	BcdError   string
	Services   []HyperVService
	// Requirements is nil when not read (a hypervisor is present).
	Requirements      *HyperVRequirements
	RequirementsError string
	// Notes are lines printed before the JSON document (warnings).
	Notes []string
}

// Service returns the named service, and false when the script did not
// report it.
func (f HyperVHostFacts) Service(name string) (HyperVService, bool) {
	for _, s := range f.Services {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return HyperVService{}, false
}

// serviceStatusNames are System.ServiceProcess.ServiceControllerStatus, by
// name and by number (5.1 without .ToString()).
var (
	serviceStatusNames   = []string{"Stopped", "StartPending", "StopPending", "Running", "ContinuePending", "PausePending", "Paused", "NotFound"}
	serviceStatusNumbers = map[int64]string{1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running",
		5: "ContinuePending", 6: "PausePending", 7: "Paused"}
	startModeNames   = []string{"Boot", "System", "Automatic", "Manual", "Disabled"}
	startModeNumbers = map[int64]string{0: "Boot", 1: "System", 2: "Automatic", 3: "Manual", 4: "Disabled"}
)

type rawHostFacts struct {
	HypervisorPresent json.RawMessage
	CimError          json.RawMessage
	OS, OSVersion     json.RawMessage
	LaunchType        json.RawMessage
	BcdError          json.RawMessage
	Services          json.RawMessage
	Requirements      json.RawMessage
	RequirementsError json.RawMessage
}

// ParseHyperVHostFacts parses HyperVHypervisorScript's output.
func ParseHyperVHostFacts(out string) (HyperVHostFacts, error) {
	var raw rawHostFacts
	var f HyperVHostFacts
	notes, err := decodePSDoc(out, &raw)
	if err != nil {
		return f, err
	}
	f.Notes = notes
	if f.Present, err = psBool(raw.HypervisorPresent); err != nil {
		return f, psFieldErr("HypervisorPresent", err)
	}
	texts := []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"CimError", raw.CimError, &f.CimError}, {"OS", raw.OS, &f.OS}, {"OSVersion", raw.OSVersion, &f.OSVersion},
		{"LaunchType", raw.LaunchType, &f.LaunchType}, {"BcdError", raw.BcdError, &f.BcdError},
		{"RequirementsError", raw.RequirementsError, &f.RequirementsError},
	}
	for _, t := range texts {
		s, err := psString(t.raw)
		if err != nil {
			return f, psFieldErr(t.name, err)
		}
		*t.dst = CleanLine(s)
	}
	if f.Services, err = parseHyperVServices(raw.Services); err != nil {
		return f, psFieldErr("Services", err)
	}
	if f.Requirements, err = parseHyperVRequirements(raw.Requirements); err != nil {
		return f, psFieldErr("Requirements", err)
	}
	return f, nil
}

func psFieldErr(field string, err error) error {
	return fmt.Errorf("%w: field %s: %w", ErrUnparseable, field, err)
}

func parseHyperVServices(raw json.RawMessage) ([]HyperVService, error) {
	items, err := psList(raw)
	if err != nil {
		return nil, err
	}
	out := make([]HyperVService, 0, len(items))
	for _, it := range items {
		var r struct{ Name, Status, StartType json.RawMessage }
		if err := json.Unmarshal(it, &r); err != nil {
			return nil, err
		}
		var s HyperVService
		name, err := psString(r.Name)
		if err != nil || name == "" {
			return nil, fmt.Errorf("%w: service without a name", errPSType)
		}
		s.Name = CleanLine(name)
		if s.Status, _, err = psEnum(r.Status, serviceStatusNames, serviceStatusNumbers); err != nil {
			return nil, err
		}
		if s.StartType, _, err = psEnum(r.StartType, startModeNames, startModeNumbers); err != nil {
			return nil, err
		}
		s.Status, s.StartType = CleanLine(s.Status), CleanLine(s.StartType)
		out = append(out, s)
	}
	return out, nil
}

func parseHyperVRequirements(raw json.RawMessage) (*HyperVRequirements, error) {
	if psNull(raw) {
		return nil, nil
	}
	var r struct {
		VMMonitorModeExtensions, VirtualizationFirmwareEnabled          json.RawMessage
		SecondLevelAddressTranslation, DataExecutionPreventionAvailable json.RawMessage
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	var q HyperVRequirements
	var err error
	for _, f := range []struct {
		raw json.RawMessage
		dst **bool
	}{
		{r.VMMonitorModeExtensions, &q.VMMonitorModeExtensions},
		{r.VirtualizationFirmwareEnabled, &q.VirtualizationFirmwareEnabled},
		{r.SecondLevelAddressTranslation, &q.SecondLevelAddressTranslation},
		{r.DataExecutionPreventionAvailable, &q.DataExecutionPreventionAvailable},
	} {
		if *f.dst, err = psBool(f.raw); err != nil {
			return nil, err
		}
	}
	return &q, nil
}
