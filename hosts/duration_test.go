package hosts

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParsePositiveDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  string
	}{
		{in: "5s", want: 5 * time.Second},
		{in: "26h", want: 26 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "0s", bad: "greater than zero"},
		{in: "-5s", bad: "greater than zero"},
		{in: "5", bad: "invalid duration"},
		{in: "1d", bad: "invalid duration"},
		{in: "", bad: "invalid duration"},
		{in: "5 s", bad: "invalid duration"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, why := parsePositiveDuration(tc.in)
			if got != tc.want || !strings.Contains(why, tc.bad) || (tc.bad == "") != (why == "") {
				t.Errorf("parsePositiveDuration(%q) = %v, %q; want %v, %q", tc.in, got, why, tc.want, tc.bad)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  string
	}{
		{in: "0", want: 0},
		{in: "512", want: 512},
		{in: "512B", want: 512},
		{in: "1kB", want: 1000},
		{in: "1KB", want: 1000},
		{in: "500MB", want: 500_000_000},
		{in: "2GB", want: 2_000_000_000},
		{in: "3TB", want: 3_000_000_000_000},
		{in: "1KiB", want: 1024},
		{in: "4MiB", want: 4 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "2TiB", want: 2 << 40},
		{in: "10 GiB", want: 10 << 30},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: "9000000TiB", bad: "too large"},
		{in: "99999999999999999999", bad: "invalid size"},
		{in: "", bad: "invalid size"},
		{in: "GiB", bad: "invalid size"},
		{in: "-1GB", bad: "invalid size"},
		{in: "+1GB", bad: "invalid size"},
		{in: "1.5GiB", bad: "invalid size"},
		{in: "1gb", bad: "invalid size"},
		{in: "1_000", bad: "invalid size"},
		{in: "1 2GB", bad: "invalid size"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, why := parseSize(tc.in)
			if got != tc.want || !strings.Contains(why, tc.bad) || (tc.bad == "") != (why == "") {
				t.Errorf("parseSize(%q) = %d, %q; want %d, %q", tc.in, got, why, tc.want, tc.bad)
			}
		})
	}
}

// FuzzParseSize: never a panic, never a negative size, and a size that
// parses re-parses to the same value when written as plain bytes.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "1GiB", "500MB", "9223372036854775807B", "8EiB", "-0", " 1 TB "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, why := parseSize(s)
		if why != "" {
			if n != 0 {
				t.Fatalf("parseSize(%q) = %d with reason %q", s, n, why)
			}
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}
