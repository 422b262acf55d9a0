package remote

import (
	"encoding/json"
	"fmt"
)

// HyperVSecurityFacts is HyperVSecurityScript's answer.
type HyperVSecurityFacts struct {
	VMs     []HyperVVMFirmware
	VMError string
	// DeviceGuard is nil when Win32_DeviceGuard could not be read
	// (DeviceGuardError says why).
	DeviceGuard      *HyperVDeviceGuard
	DeviceGuardError string
	Notes            []string
}

// HyperVVMFirmware is one VM's generation and Secure Boot state.
type HyperVVMFirmware struct {
	Name       string
	Generation int
	// SecureBoot is "On", "Off", "" for generation 1, or "Error: ...".
	SecureBoot string
}

// HyperVDeviceGuard is the host's virtualization-based security state.
type HyperVDeviceGuard struct {
	// VBSStatus: 0 off, 1 enabled but not running, 2 running.
	VBSStatus int
	// ServicesRunning and ServicesConfigured hold Win32_DeviceGuard's
	// numbers: 1 Credential Guard, 2 HVCI (memory integrity), ...
	ServicesRunning, ServicesConfigured []int
}

// maxHyperVSecurityVMs bounds the VMs read from one answer.
const maxHyperVSecurityVMs = 4096

// DeviceGuardHVCI is HVCI's number in SecurityServicesRunning.
const DeviceGuardHVCI = 2

// ParseHyperVSecurity parses HyperVSecurityScript's output.
func ParseHyperVSecurity(out string) (HyperVSecurityFacts, error) {
	var raw struct{ VMs, VMError, DeviceGuard, DeviceGuardError json.RawMessage }
	var f HyperVSecurityFacts
	notes, err := decodePSDoc(out, &raw)
	if err != nil {
		return f, err
	}
	f.Notes = notes
	for _, t := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"VMError", raw.VMError, &f.VMError}, {"DeviceGuardError", raw.DeviceGuardError, &f.DeviceGuardError}} {
		s, err := psString(t.raw)
		if err != nil {
			return f, psFieldErr(t.name, err)
		}
		*t.dst = CleanLine(s)
	}
	if f.VMs, err = parseVMFirmware(raw.VMs); err != nil {
		return f, psFieldErr("VMs", err)
	}
	if f.DeviceGuard, err = parseDeviceGuard(raw.DeviceGuard); err != nil {
		return f, psFieldErr("DeviceGuard", err)
	}
	return f, nil
}

func parseVMFirmware(raw json.RawMessage) ([]HyperVVMFirmware, error) {
	items, err := psList(raw)
	if err != nil {
		return nil, err
	}
	if len(items) > maxHyperVSecurityVMs {
		return nil, fmt.Errorf("%w: %d VMs (at most %d)", errPSType, len(items), maxHyperVSecurityVMs)
	}
	out := make([]HyperVVMFirmware, 0, len(items))
	for _, it := range items {
		var r struct{ Name, Generation, SecureBoot json.RawMessage }
		if err := json.Unmarshal(it, &r); err != nil {
			return nil, err
		}
		var v HyperVVMFirmware
		name, err := psString(r.Name)
		if err != nil || name == "" {
			return nil, fmt.Errorf("%w: VM without a name", errPSType)
		}
		v.Name = CleanLine(name)
		gen, ok, err := psUint(r.Generation)
		if err != nil || !ok || gen < 1 || gen > 2 {
			return nil, fmt.Errorf("%w: VM %s: generation %s", errPSType, v.Name, psExcerpt(r.Generation))
		}
		v.Generation = int(gen)
		sb, _, err := psEnum(r.SecureBoot, []string{"On", "Off"}, map[int64]string{0: "On", 1: "Off"})
		if err != nil {
			return nil, fmt.Errorf("VM %s: SecureBoot: %w", v.Name, err)
		}
		v.SecureBoot = CleanLine(sb)
		out = append(out, v)
	}
	return out, nil
}

func parseDeviceGuard(raw json.RawMessage) (*HyperVDeviceGuard, error) {
	if psNull(raw) {
		return nil, nil
	}
	var r struct{ VBSStatus, ServicesRunning, ServicesConfigured json.RawMessage }
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	var d HyperVDeviceGuard
	st, ok, err := psUint(r.VBSStatus)
	if err != nil || !ok || st > 2 {
		return nil, fmt.Errorf("%w: VBSStatus %s", errPSType, psExcerpt(r.VBSStatus))
	}
	d.VBSStatus = int(st)
	for _, l := range []struct {
		raw json.RawMessage
		dst *[]int
	}{{r.ServicesRunning, &d.ServicesRunning}, {r.ServicesConfigured, &d.ServicesConfigured}} {
		items, err := psList(l.raw)
		if err != nil {
			return nil, err
		}
		for _, it := range items[:min(len(items), 16)] {
			n, ok, err := psUint(it)
			if err != nil || !ok || n > 1000 {
				return nil, fmt.Errorf("%w: security service %s", errPSType, psExcerpt(it))
			}
			*l.dst = append(*l.dst, int(n))
		}
	}
	return &d, nil
}
