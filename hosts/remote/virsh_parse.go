package remote

import (
	"fmt"
	"strconv"
	"strings"
)

// Parsers of read-only virsh output (VirshCommand, run with LC_ALL=C).
// Anything that does not have the documented shape is ErrUnparseable, so the
// check that asked turns UNKNOWN with the reason, never a guess.

// VirshVersions is what "virsh version --daemon" reports.
type VirshVersions struct {
	// LibVersion is the daemon's libvirt ("Running against daemon"), the
	// value ConnectGetLibVersion gives over the tunnel; packed as
	// major*1e6+minor*1e3+micro.
	LibVersion uint64
	// HVType and HVVersion are the driver and hypervisor versions
	// ("Running hypervisor: QEMU 8.2.0"), as ConnectGetType and
	// ConnectGetVersion give them. HVVersion is 0 when virsh could not tell.
	HVType    string
	HVVersion uint64
}

// maxVirshLine bounds a line quoted in an error.
const maxVirshLine = 60

// ParseVirshVersion parses "virsh version --daemon": "Label: value" lines.
// The daemon line is required (it proves the daemon answered); the
// hypervisor line is optional, its type then taken from "Using API".
// Unknown labels are ignored, lines without a label are not.
func ParseVirshVersion(out string) (VirshVersions, error) {
	var v VirshVersions
	var apiType string
	daemon := false
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		label, val, ok := strings.Cut(line, ": ")
		if !ok || label == "" || strings.ContainsAny(label, "\t\r") {
			return v, fmt.Errorf("%w: virsh version: bad line %q", ErrUnparseable, truncateRunes(line, maxVirshLine))
		}
		var err error
		switch label {
		case "Running against daemon":
			v.LibVersion, err = parseDotted(val)
			daemon = true
		case "Running hypervisor":
			v.HVType, v.HVVersion, err = typedVersion(val)
		case "Using API":
			apiType, _, err = typedVersion(val)
		}
		if err != nil {
			return v, fmt.Errorf("%w: virsh version: %s: %w", ErrUnparseable, label, err)
		}
	}
	if !daemon {
		return v, fmt.Errorf("%w: virsh version: no daemon version", ErrUnparseable)
	}
	if v.HVType == "" {
		v.HVType = apiType
	}
	return v, nil
}

// typedVersion splits "QEMU 8.2.0" into its type and packed version.
func typedVersion(s string) (string, uint64, error) {
	i := strings.LastIndexByte(s, ' ')
	if i <= 0 {
		return "", 0, fmt.Errorf("bad value %q", truncateRunes(s, maxVirshLine))
	}
	ver, err := parseDotted(s[i+1:])
	return strings.TrimSpace(s[:i]), ver, err
}

// parseDotted packs "major.minor.micro" as libvirt does; minor and micro
// must be below 1000, as the packing requires.
func parseDotted(s string) (uint64, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 3 {
		return 0, fmt.Errorf("bad version %q", truncateRunes(s, maxVirshLine))
	}
	var n [3]uint64
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || (i > 0 && v >= 1000) || len(p) > 7 {
			return 0, fmt.Errorf("bad version %q", truncateRunes(s, maxVirshLine))
		}
		n[i] = v
	}
	return n[0]*1000000 + n[1]*1000 + n[2], nil
}

// VirshDomState is one domain of "virsh domstats --state --raw": libvirt's
// numeric state and reason, the same numbers DomainGetState returns.
type VirshDomState struct {
	Name          string
	State, Reason int32
}

// ParseVirshDomStats parses "virsh domstats --state --raw": records of a
// "Domain: 'NAME'" line then indented "  key=value" lines, separated by
// blank lines. Each record needs state.state and state.reason; other keys
// are ignored. A name listed twice is an error; no record at all is a host
// without domains.
func ParseVirshDomStats(out string) ([]VirshDomState, error) {
	var doms []VirshDomState
	var have [2]bool // state, reason seen for the current record
	seen := map[string]bool{}
	finish := func() error {
		if len(doms) > 0 && !(have[0] && have[1]) {
			return fmt.Errorf("%w: virsh domstats: %q lacks state or reason",
				ErrUnparseable, truncateRunes(doms[len(doms)-1].Name, maxVirshLine))
		}
		return nil
	}
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "  "):
			if len(doms) == 0 {
				return nil, fmt.Errorf("%w: virsh domstats: value before any domain", ErrUnparseable)
			}
			if err := statLine(&doms[len(doms)-1], &have, strings.TrimSpace(line)); err != nil {
				return nil, err
			}
		default:
			if err := finish(); err != nil {
				return nil, err
			}
			name, err := domainHeader(line)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, fmt.Errorf("%w: virsh domstats: %q listed twice", ErrUnparseable, truncateRunes(name, maxVirshLine))
			}
			seen[name] = true
			doms, have = append(doms, VirshDomState{Name: name}), [2]bool{}
		}
	}
	return doms, finish()
}

// domainHeader reads "Domain: 'NAME'". virsh does not escape quotes in
// names, so NAME is everything between the first and the last quote.
func domainHeader(line string) (string, error) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "Domain: '")
	if !ok || len(rest) < 2 || !strings.HasSuffix(rest, "'") {
		return "", fmt.Errorf("%w: virsh domstats: bad line %q", ErrUnparseable, truncateRunes(line, maxVirshLine))
	}
	return rest[:len(rest)-1], nil
}

// statLine records state.state or state.reason into d.
func statLine(d *VirshDomState, have *[2]bool, kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("%w: virsh domstats: bad line %q", ErrUnparseable, truncateRunes(kv, maxVirshLine))
	}
	idx := 0
	switch key {
	case "state.state":
	case "state.reason":
		idx = 1
	default:
		return nil
	}
	n, err := strconv.ParseInt(val, 10, 32)
	if err != nil || have[idx] {
		return fmt.Errorf("%w: virsh domstats: bad or repeated %s %q", ErrUnparseable, key, truncateRunes(val, maxVirshLine))
	}
	if idx == 0 {
		d.State = int32(n)
	} else {
		d.Reason = int32(n)
	}
	have[idx] = true
	return nil
}

// ParseVirshNames parses "virsh list --name": one domain name per line;
// virsh ends the list with a blank line, and names are never empty, so
// blank lines are skipped.
func ParseVirshNames(out string) (map[string]bool, error) {
	names := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if strings.ContainsRune(line, 0) {
			return nil, fmt.Errorf("%w: virsh list: bad name %q", ErrUnparseable, truncateRunes(line, maxVirshLine))
		}
		names[line] = true
	}
	return names, nil
}
