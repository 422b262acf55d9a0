package remote

import (
	"testing"
	"time"
)

func TestParseTimeSpan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"1.02:03:04.5000000", 26*time.Hour + 3*time.Minute + 4500*time.Millisecond, false},
		{"00:00:10", 10 * time.Second, false},
		{"25:00:00", 0, true},
		{"1.2.3", 0, true},
		{"-1.00:00:00", 0, true},
	} {
		got, err := parseTimeSpan(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseTimeSpan(%q) = %v, %v", tc.in, got, err)
		}
	}
}
