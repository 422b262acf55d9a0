package remote

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HostTimes is the answer of UnitTimesCommand: the host's monotonic
// clock now, and when each unit last left the active state on that clock.
type HostTimes struct {
	// Uptime is the host's clock when it answered.
	Uptime time.Duration
	Units  []UnitTimes
}

// UnitTimes is one unit's systemd timestamps, as time since the host booted;
// zero when the event did not happen since boot.
type UnitTimes struct {
	Unit          string
	ActiveExit    time.Duration
	InactiveEnter time.Duration
}

// uptimeTick is /proc/uptime's resolution.
const uptimeTick = 10 * time.Millisecond

// maxUptime bounds an uptime or timestamp we accept (about 30 years).
const maxUptime = 30 * 365 * 24 * time.Hour

// The properties UnitTimesCommand asks for.
const (
	propActiveExit    = "ActiveExitTimestampMonotonic"
	propInactiveEnter = "InactiveEnterTimestampMonotonic"
)

// ParseUnitTimes parses UnitTimesCommand(units) output: the uptime
// line, then exactly one block per unit holding each asked property once
// (in any order, as systemctl prints them in its own order).
func ParseUnitTimes(units []string, out string) (HostTimes, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > 1+3*len(units) {
		return HostTimes{}, fmt.Errorf("%w: unit times: %d lines for %d units", ErrUnparseable, len(lines), len(units))
	}
	up, err := parseUptime(lines[0])
	if err != nil {
		return HostTimes{}, err
	}
	t := HostTimes{Uptime: up, Units: make([]UnitTimes, 0, len(units))}
	cur := UnitTimes{}
	seen := 0
	for _, l := range append(lines[1:], "") {
		if l != "" {
			if err := cur.set(l, &seen); err != nil {
				return HostTimes{}, err
			}
			continue
		}
		if seen == 0 {
			continue
		}
		if seen != 3 || len(t.Units) == len(units) {
			return HostTimes{}, fmt.Errorf("%w: unit times: incomplete or extra block", ErrUnparseable)
		}
		cur.Unit = units[len(t.Units)]
		t.Units, cur, seen = append(t.Units, cur), UnitTimes{}, 0
	}
	if len(t.Units) != len(units) {
		return HostTimes{}, fmt.Errorf("%w: unit times: %d blocks for %d units", ErrUnparseable, len(t.Units), len(units))
	}
	return t, nil
}

// set reads one "Key=N" line into u; seen has bit 1 for ActiveExit and
// bit 2 for InactiveEnter, so a repeated key is an error.
func (u *UnitTimes) set(line string, seen *int) error {
	k, v, ok := strings.Cut(line, "=")
	bit, field := 0, (*time.Duration)(nil)
	switch {
	case ok && k == propActiveExit:
		bit, field = 1, &u.ActiveExit
	case ok && k == propInactiveEnter:
		bit, field = 2, &u.InactiveEnter
	default:
		return fmt.Errorf("%w: unit times: unexpected line %q", ErrUnparseable, truncateRunes(line, 60))
	}
	us, err := strconv.ParseUint(v, 10, 64)
	if err != nil || *seen&bit != 0 || us > uint64(maxUptime/time.Microsecond) {
		return fmt.Errorf("%w: unit times: bad %s %q", ErrUnparseable, k, truncateRunes(v, 24))
	}
	*seen |= bit
	*field = time.Duration(us) * time.Microsecond
	return nil
}

// parseUptime reads /proc/uptime's first figure, "SECONDS.FRACTION".
func parseUptime(line string) (time.Duration, error) {
	f := strings.Fields(line)
	if len(f) != 2 || strings.Trim(f[0], "0123456789.") != "" {
		return 0, fmt.Errorf("%w: uptime: %q", ErrUnparseable, truncateRunes(line, 60))
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil || secs > maxUptime.Seconds() {
		return 0, fmt.Errorf("%w: uptime: %q", ErrUnparseable, truncateRunes(f[0], 24))
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// DownFor is how long ago, by the host's own clock, the first of units that
// is not active left the active state (its ActiveExitTimestamp, else its
// InactiveEnterTimestamp); ok is false when the host does not know (the
// unit never ran since boot, or a stamp later than the clock now).
func (t HostTimes) DownFor(down []string) (time.Duration, bool) {
	for _, u := range t.Units {
		if !slices.Contains(down, u.Unit) {
			continue
		}
		at := u.ActiveExit
		if at == 0 {
			at = u.InactiveEnter
		}
		// /proc/uptime ticks in 10 ms, systemd's stamps in microseconds: a
		// stamp up to one tick past the clock is "just now"
		if at == 0 || at > t.Uptime+uptimeTick {
			return 0, false
		}
		return max(t.Uptime-at, 0), true
	}
	return 0, false
}
