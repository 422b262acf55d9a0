package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
)

// TestIncidents is the golden output of `hvconsole incidents` in each
// format from a recorded journal (testdata/TestIncidents/events.jsonl):
// an incident before the window left out, two consoles' duplicate records
// read as one incident, the host's own start time, acks, actions joined to
// their outcomes, an incident still open, hostile text from a host and an
// operator cleaned (and escaped in Markdown), a torn last line skipped.
// Regenerate with: go test ./cmd/hvconsole -run TestIncidents -update
func TestIncidents(t *testing.T) {
	journal := filepath.Join("testdata", "TestIncidents", "events.jsonl")
	for _, format := range []string{"table", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := runCapture(t, "incidents", "--journal", journal, "--format", format,
				"--since", "24h", "--until", "2026-11-27T06:00:00Z")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, bad := range []string{"\x1b", "\u202e"} {
				if strings.Contains(stdout, bad) {
					t.Errorf("output holds %q", bad)
				}
			}
			golden.RequireEqual(t, []byte(stdout))
		})
	}
}

func TestIncidentsFilters(t *testing.T) {
	journal := filepath.Join("testdata", "TestIncidents", "events.jsonl")
	hostsOf := func(args ...string) []string {
		t.Helper()
		code, stdout, stderr := runCapture(t, append([]string{"incidents", "--journal", journal, "--format", "json",
			"--until", "2026-11-27T06:00:00Z"}, args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var out struct {
			Incidents []struct{ Host string }
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, i := range out.Incidents {
			names = append(names, i.Host)
		}
		return names
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "0"}, "kvm-02 kvm-01 kvm-02 kvm-03 hv-01"},
		{[]string{"--since", "3d"}, "kvm-02 kvm-01 kvm-02 kvm-03 hv-01"},
		{[]string{"--since", "2026-11-27T03:00:30Z"}, "kvm-03 hv-01"},
		{[]string{"--since", "0", "--host", "kvm-02"}, "kvm-02 kvm-02"},
		{[]string{"--since", "0", "--until", "2026-11-27T02:30:00Z"}, "kvm-02 kvm-01 kvm-02"},
	} {
		if got := strings.Join(hostsOf(tc.args...), " "); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.args, got, tc.want)
		}
	}
}

func TestIncidentsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--format", "html"}, {"--since", "yesterday"}, {"--since", "-1h"}, {"--until", "noon"},
	} {
		code, _, stderr := runCapture(t, append([]string{"incidents", "--journal", "x"}, args...)...)
		if code != exitUnknown || !strings.Contains(stderr, "incidents:") {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
	// a missing journal is no incidents, not an error: nothing happened yet
	code, stdout, _ := runCapture(t, "incidents", "--journal", filepath.Join(t.TempDir(), "none.jsonl"))
	if code != exitOK || !strings.HasPrefix(stdout, "HOST") || !strings.Contains(stdout, "0 incidents") {
		t.Errorf("missing journal: exit %d, %q", code, stdout)
	}
}

func TestIncidentWindow(t *testing.T) {
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	until, since, err := incidentWindow("", "24h", now)
	if err != nil || !until.Equal(now) || !since.Equal(now.Add(-24*time.Hour)) {
		t.Errorf("24h: %v %v %v", until, since, err)
	}
}
