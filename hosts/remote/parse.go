package remote

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnparseable marks remote output that does not have the documented
// shape; the check that asked becomes UNKNOWN with the reason.
var ErrUnparseable = errors.New("remote: unparseable output")

// UnitState is one service unit's state as "systemctl is-active" reports it.
type UnitState struct {
	Unit  string
	State string // active, inactive, failed, activating, ...
}

// maxStateWord bounds a unit state word; systemd's longest is 12 bytes.
const maxStateWord = 32

// ParseUnitsActive parses the output of UnitsActiveCommand(units)
// given its exit code: exactly one lower-case state word per unit, in order,
// and an exit code that agrees with them (systemd: 0 when any is active).
func ParseUnitsActive(units []string, out string, exit int) ([]UnitState, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	if len(lines) != len(units) {
		return nil, fmt.Errorf("%w: systemctl is-active: %d lines for %d units (exit %d)",
			ErrUnparseable, len(lines), len(units), exit)
	}
	states := make([]UnitState, len(units))
	allActive, anyActive := true, false
	for i, l := range lines {
		w := strings.TrimSpace(l)
		if !stateWord(w) {
			return nil, fmt.Errorf("%w: systemctl is-active: bad state %q", ErrUnparseable, truncateRunes(w, maxStateWord))
		}
		states[i] = UnitState{Unit: units[i], State: w}
		allActive = allActive && w == "active"
		anyActive = anyActive || w == "active"
	}
	// systemd exits 0 when ANY unit is active, so only "all active but a
	// failure exit" and "none active but success" are contradictions.
	if (allActive && exit != 0) || (!anyActive && exit == 0) {
		return nil, fmt.Errorf("%w: systemctl is-active: exit %d disagrees with states", ErrUnparseable, exit)
	}
	return states, nil
}

func stateWord(w string) bool {
	if w == "" || len(w) > maxStateWord {
		return false
	}
	for _, c := range w {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

// KVMFacts is what KVMFactsCommand reports about hardware virtualisation.
type KVMFacts struct {
	DevPresent bool
	DevRW      bool
	Modules    []string // kvm, kvm_intel, kvm_amd as loaded
}

// ParseKVMFacts parses KVMFactsCommand output: one kvm_dev line, one
// kvm_access line, then zero or more kvm_module lines, nothing else.
func ParseKVMFacts(out string) (KVMFacts, error) {
	var f KVMFacts
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || len(lines) > 5 {
		return f, fmt.Errorf("%w: kvm facts: %d lines", ErrUnparseable, len(lines))
	}
	var ok bool
	if f.DevPresent, ok = flagLine(lines[0], "kvm_dev=", "present", "absent"); !ok {
		return f, fmt.Errorf("%w: kvm facts: bad line %q", ErrUnparseable, truncateRunes(lines[0], 40))
	}
	if f.DevRW, ok = flagLine(lines[1], "kvm_access=", "rw", "denied"); !ok {
		return f, fmt.Errorf("%w: kvm facts: bad line %q", ErrUnparseable, truncateRunes(lines[1], 40))
	}
	for _, l := range lines[2:] {
		name, found := strings.CutPrefix(l, "kvm_module=")
		if !found || (name != "kvm" && name != "kvm_intel" && name != "kvm_amd") {
			return f, fmt.Errorf("%w: kvm facts: bad line %q", ErrUnparseable, truncateRunes(l, 40))
		}
		f.Modules = append(f.Modules, name)
	}
	return f, nil
}

// flagLine parses "KEY=yes" or "KEY=no" exactly.
func flagLine(line, key, yes, no string) (val, ok bool) {
	v, found := strings.CutPrefix(line, key)
	switch {
	case !found:
		return false, false
	case v == yes:
		return true, true
	case v == no:
		return false, true
	}
	return false, false
}

// FormatVersion renders a libvirt packed version (major*1e6 + minor*1e3 +
// micro) as "major.minor.micro".
func FormatVersion(v uint64) string {
	return strconv.FormatUint(v/1000000, 10) + "." +
		strconv.FormatUint(v/1000%1000, 10) + "." + strconv.FormatUint(v%1000, 10)
}

// MaxDomains bounds how many domains one round asks the state of.
const MaxDomains = 4096
