package hosts

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Durations and sizes are written as strings in the config ("5s", "26h",
// "1GiB"). They are parsed during validation rather than by a
// TextUnmarshaler, so a bad one becomes a positioned problem next to all
// the others instead of stopping the decoder.

// The shortest accepted intervals and timeouts. Below them a setting
// stops measuring the host: a keepalive of 1ns declares every healthy
// link dead, a probe deadline under a round trip fails every probe, an
// interval of microseconds turns the scheduler into a busy loop.
const (
	MinKeepaliveInterval = time.Second
	MinConnectTimeout    = 100 * time.Millisecond
	MinProbeTimeout      = 100 * time.Millisecond
	MinProbeInterval     = time.Second
	MinBackupInterval    = 10 * time.Second
)

// MaxTCPKeepalive is tcp_keepalive's ceiling: the kernel takes whole
// seconds up to 32767 for its probe idle time and interval, and a probe
// an hour apart no longer finds a dead link while it matters.
const MaxTCPKeepalive = time.Hour

// parsePositiveDuration parses a Go duration that must be greater than zero
// (every duration in the config is a timeout, an interval or an age). It
// returns the reason when s is not acceptable.
func parsePositiveDuration(s string) (time.Duration, string) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, "invalid duration " + quote(s) + `: want a number and a unit such as "5s", "10m" or "1h30m"`
	}
	if d <= 0 {
		return 0, "duration " + quote(s) + " must be greater than zero"
	}
	return d, ""
}

// sizeUnits are the suffixes parseSize accepts, longest first so that "MiB"
// is not read as "B".
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// parseSize parses a byte count such as "0", "512", "500MB" or "1GiB": a
// non-negative integer, optionally followed (with or without a space) by B,
// kB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024). It
// returns the reason when s is not acceptable.
func parseSize(s string) (int64, string) {
	bad := "invalid size " + quote(s) + `: want a whole number with an optional unit such as "500MB" or "1GiB"`
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	if num == "" || strings.ContainsAny(num, "+-_ ") {
		return 0, bad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, bad
	}
	if n > math.MaxInt64/mult {
		return 0, "size " + quote(s) + " is too large"
	}
	return n * mult, ""
}
