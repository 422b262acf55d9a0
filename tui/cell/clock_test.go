package cell

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Clock is the console's one time format: the time alone today, with the
// date any other day (just before midnight is yesterday, not this
// evening), in the viewer's zone.
func TestClock(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	now := time.Date(2026, 11, 27, 0, 0, 5, 0, berlin)
	for _, tc := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"today", now.Add(-4 * time.Second), "00:00:01"},
		{"yesterday, just before midnight", now.Add(-7 * time.Second), "Nov 26 23:59:58"},
		{"today in another zone", time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC), "00:30:00"},
		{"last year, same day", now.AddDate(-1, 0, 0), "Nov 27 00:00:05"},
	} {
		if got := Clock(tc.at, now); got != tc.want {
			t.Errorf("%s: Clock = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Every time the console writes goes through Clock: no other file of the
// console formats a time itself.
func TestOneTimeFormat(t *testing.T) {
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			filepath.Base(path) == "clock.go" {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{".Format(", "time.Kitchen", "time.Stamp", "time.RFC"} {
			if strings.Contains(string(src), bad) {
				t.Errorf("%s formats a time itself (%s): use cell.Clock", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
