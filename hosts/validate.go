package hosts

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// problems collects what is wrong with a config, with positions looked up in
// the document index. Validation never stops at the first problem.
type problems struct {
	idx  *posIndex
	list []Problem
	// bad holds the key paths already reported with a wrong type, so their
	// absence is not reported a second time as "missing".
	bad map[string]bool
	// notices are remarks that do not make the config invalid.
	notices []Problem
}

// at reports a problem with the value at path (or the nearest key written
// in the file).
func (ps *problems) at(path, reason string) {
	if ps.bad == nil {
		ps.bad = map[string]bool{}
	}
	ps.bad[path] = true
	ps.list = append(ps.list, Problem{Pos: ps.idx.lookup(path), KeyPath: path, Reason: reason})
}

// atKey reports a problem with a key itself (one not allowed where it is
// written), at the key rather than its value.
func (ps *problems) atKey(path, reason string) {
	ps.list = append(ps.list, Problem{Pos: ps.idx.keyPos(path), KeyPath: path, Reason: reason})
}

// atf is at with formatting.
func (ps *problems) atf(path, format string, args ...any) {
	ps.at(path, fmt.Sprintf(format, args...))
}

// noPos reports a problem that has no place in the file (a built-in default).
func (ps *problems) noPos(path, reason string) {
	ps.list = append(ps.list, Problem{KeyPath: path, Reason: reason})
}

// err sorts the problems by position, unknown positions last.
func (ps *problems) err(path string) *ConfigError {
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		if a.Pos.Known() != b.Pos.Known() {
			if a.Pos.Known() {
				return -1
			}
			return 1
		}
		if c := a.Pos.Line - b.Pos.Line; c != 0 {
			return c
		}
		if c := a.Pos.Col - b.Pos.Col; c != 0 {
			return c
		}
		return strings.Compare(a.KeyPath, b.KeyPath)
	})
	return &ConfigError{Path: path, Problems: list}
}

// quote prints a value from the file safely: quoted, control characters
// escaped, so nothing in a config can drive the terminal.
func quote(s string) string { return strconv.Quote(s) }

// Validation of single values. Each returns the reason the value is bad, or
// "" when it is acceptable.

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)
	userRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$`)
	// hostnameRE accepts DNS names; IP addresses are checked with net.ParseIP.
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9._-]{0,252})$`)
)

func badName(s string) string {
	if !nameRE.MatchString(s) {
		return "invalid name " + quote(s) + ": use letters, digits, '.', '_' and '-', starting with a letter or digit"
	}
	return ""
}

func badUser(s string) string {
	if !userRE.MatchString(s) {
		return "invalid user " + quote(s) + ": use letters, digits, '.', '_' and '-'"
	}
	return ""
}

func badAddress(s string) string {
	if net.ParseIP(s) != nil || hostnameRE.MatchString(s) {
		return ""
	}
	return "invalid address " + quote(s) + ": want a host name or an IP address"
}

func badPort(n int) string {
	if n < 1 || n > 65535 {
		return "port " + strconv.Itoa(n) + " out of range 1-65535"
	}
	return ""
}

// checkNames are the names a host's checks list may hold.
var checkNames = []string{CheckSSH, CheckHypervisor, CheckVMs, CheckKVM, CheckBackups, CheckResources, CheckStorage, CheckSecurity}

// noControl reports text holding control characters or spaces, which have
// no place in paths, URIs and socket names.
func noControl(what, s string) string {
	if s == "" {
		return what + " is empty"
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f {
			return what + " " + quote(s) + " holds a space or control character"
		}
	}
	return ""
}

// expandHome expands a leading "~" or "~/" to home; "~user" is refused.
func expandHome(p, home string) (string, string) {
	if why := noControl("path", p); why != "" {
		return "", why
	}
	switch {
	case p == "~":
		return home, ""
	case strings.HasPrefix(p, "~/"):
		return filepath.Join(home, p[2:]), ""
	case strings.HasPrefix(p, "~"):
		return "", "path " + quote(p) + ": only ~ and ~/ are expanded"
	}
	return p, ""
}

// validString checks a string value at path with bad, reporting the reason.
func (ps *problems) validString(path string, v *string, bad func(string) string) (string, bool) {
	if why := bad(*v); why != "" {
		ps.at(path, why)
		return "", false
	}
	return *v, true
}

// positive checks a count that must be at least 1.
func (ps *problems) positive(path string, n int, max int) (int, bool) {
	if n < 1 || n > max {
		ps.atf(path, "%d out of range 1-%d", n, max)
		return 0, false
	}
	return n, true
}

// duration parses a duration key that must be > 0.
func (ps *problems) duration(path string, s string) (time.Duration, bool) {
	d, why := parsePositiveDuration(s)
	if why != "" {
		ps.at(path, why)
		return 0, false
	}
	return d, true
}

// durationAtLeast is duration with a floor: a value under least is
// reported (it would make healthy hosts fail, or busy-loop).
func (ps *problems) durationAtLeast(path, s string, least time.Duration) (time.Duration, bool) {
	d, ok := ps.duration(path, s)
	if ok && d < least {
		ps.at(path, "duration "+quote(s)+" is too short: at least "+least.String())
		return 0, false
	}
	return d, ok
}

// tcpKeepalive parses tcp_keepalive: "0s" turns it off, anything else is
// whole seconds from 1s to MaxTCPKeepalive (the kernel counts in seconds:
// "1500ms" would silently become 2s).
func (ps *problems) tcpKeepalive(path, s string) (time.Duration, bool) {
	if d, err := time.ParseDuration(s); err == nil && d == 0 {
		return 0, true
	}
	d, ok := ps.duration(path, s)
	switch {
	case !ok:
		return 0, false
	case d%time.Second != 0:
		ps.at(path, "duration "+quote(s)+" is not whole seconds (the kernel counts in seconds); \"0s\" turns it off")
	case d > MaxTCPKeepalive:
		ps.at(path, "duration "+quote(s)+" is too long: at most "+MaxTCPKeepalive.String())
	default:
		return d, true
	}
	return 0, false
}

// stringList checks each element of a list, reporting every bad one.
func (ps *problems) stringList(path string, list []string, bad func(string) string) ([]string, bool) {
	ok := true
	for i, s := range list {
		if ps.bad[joinIndex(path, i)] {
			ok = false
			continue // already reported as the wrong type
		}
		if why := bad(s); why != "" {
			ps.at(joinIndex(path, i), why)
			ok = false
		}
	}
	return slices.Clone(list), ok
}

// paths expands "~" in each path of a list. A bad element is reported and
// left "" so that the others keep their index for later file problems.
func (ps *problems) paths(path string, list []string, home string) []string {
	out := make([]string, len(list))
	for i, p := range list {
		if ps.bad[joinIndex(path, i)] {
			continue
		}
		exp, why := expandHome(p, home)
		if why != "" {
			ps.at(joinIndex(path, i), why)
			continue
		}
		out[i] = exp
	}
	return out
}
