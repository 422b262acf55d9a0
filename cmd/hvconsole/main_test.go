package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hvconsole/hvconsole/probes"
)

// TestMain fails the package if a goroutine outlives the tests; teatest's
// own SIGINT watcher never exits (a library limitation), so it alone is
// ignored.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"))
}

func runCapture(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndConfigErrorsExit3(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[defaults]\nprobe_timeout = \"soon\"\nbogus = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown flag", args: []string{"check", "--nope"}, want: "flag provided but not defined"},
		{name: "stray argument", args: []string{"check", "--config", bad, "extra"}, want: "unexpected argument"},
		{name: "missing config", args: []string{"check", "--config", filepath.Join(dir, "none.toml")}, want: "none.toml"},
		{name: "invalid config", args: []string{"check", "--config", bad}, want: "bad.toml:2:"},
		{name: "validate reports every problem", args: []string{"validate", "--config", bad}, want: "bad.toml:3:"},
		{name: "console refuses a bad config", args: []string{"--config", bad}, want: "bad.toml:2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCapture(t, tc.args...)
			if code != exitUnknown || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 3 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestFleetStatusAndExitCodes(t *testing.T) {
	rep := func(s probes.Status) probes.HostReport { return probes.HostReport{Status: s} }
	tests := []struct {
		reports []probes.HostReport
		want    probes.Status
		code    int
	}{
		{nil, probes.UNKNOWN, 3},
		{[]probes.HostReport{rep(probes.OK), rep(probes.OK)}, probes.OK, 0},
		{[]probes.HostReport{rep(probes.OK), rep(probes.WARN)}, probes.WARN, 1},
		{[]probes.HostReport{rep(probes.UNKNOWN), rep(probes.WARN)}, probes.UNKNOWN, 3},
		{[]probes.HostReport{rep(probes.UNKNOWN), rep(probes.CRIT), rep(probes.WARN)}, probes.CRIT, 2},
	}
	for _, tc := range tests {
		got := fleetStatus(tc.reports)
		if got != tc.want || got.ExitCode() != tc.code {
			t.Errorf("fleetStatus(%v) = %s (exit %d), want %s (exit %d)", tc.reports, got, got.ExitCode(), tc.want, tc.code)
		}
	}
}

func TestJSONShape(t *testing.T) {
	at := time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)
	reports := []probes.HostReport{{
		Host: "kvm-01", Address: "10.0.0.11", Status: probes.CRIT,
		Checks: []probes.Result{{Check: "hypervisor", Status: probes.CRIT, Summary: "hypervisor not running: libvirtd inactive", Latency: 3200 * time.Microsecond}},
		VMs:    []probes.VM{{Name: "web-1", State: "running", Reason: "booted"}},
	}}
	var b bytes.Buffer
	if err := writeJSON(&b, at, reports); err != nil {
		t.Fatal(err)
	}
	want := `{
  "time": "2026-11-26T19:00:00Z",
  "status": "CRIT",
  "hosts": [
    {
      "name": "kvm-01",
      "address": "10.0.0.11",
      "status": "CRIT",
      "checks": [
        {
          "name": "hypervisor",
          "status": "CRIT",
          "summary": "hypervisor not running: libvirtd inactive",
          "details": "",
          "latency_ms": 3.2
        }
      ],
      "vms": [
        {
          "name": "web-1",
          "state": "running",
          "reason": "booted",
          "rating": "OK"
        }
      ]
    }
  ]
}
`
	if b.String() != want {
		t.Fatalf("JSON:\n%s\nwant:\n%s", b.String(), want)
	}
}
