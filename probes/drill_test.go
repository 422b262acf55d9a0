package probes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

const goodSHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// drillOut is a drill script's output with lines replaced or added.
func drillOut(extra ...string) string {
	lines := []string{"@@size 1048576", "@@free 999999999", "@@phase copy", "@@t copy 1000000000", "@@bytes 0",
		"@@bytes 1048576", "@@phase verify", "@@t verify 1500000000", "@@sidecar " + goodSHA, "@@sha256 " + goodSHA,
		"@@check 0", "@@compare 0", "@@t end 2000000000", "@@done"}
	for _, e := range extra {
		k, _, _ := strings.Cut(e, " ")
		replaced := false
		for i, l := range lines {
			if lk, _, _ := strings.Cut(l, " "); lk == k {
				lines[i], replaced = e, true
			}
		}
		if !replaced {
			lines = append(lines, e)
		}
	}
	var out []string
	for _, l := range lines {
		if !strings.HasSuffix(l, " -") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

func TestRateDrill(t *testing.T) {
	qemuSpec := hosts.Backup{Name: "n", Verify: remote.VerifyQemuImg}
	shaSpec := hosts.Backup{Name: "n", Verify: remote.VerifySHA256}
	tests := []struct {
		name    string
		out     string
		spec    hosts.Backup
		level   int
		qcow2   bool
		outcome string
		reason  string
	}{
		{"good L1", drillOut(), qemuSpec, 1, true, DrillPassed, ""},
		{"content flipped", drillOut("@@sha256 " + strings.Repeat("0", 64)), qemuSpec, 1, true, DrillFailed, "sha256 of the copy differs"},
		{"L0 wording", drillOut("@@sha256 " + strings.Repeat("0", 64)), qemuSpec, 0, true, DrillFailed, "sha256 of the backup differs"},
		{"corrupt", drillOut("@@check 2"), qemuSpec, 1, true, DrillFailed, "corrupt"},
		{"leaked is a note", drillOut("@@check 3"), qemuSpec, 1, true, DrillPassed, ""},
		{"check error", drillOut("@@check 1"), qemuSpec, 1, true, DrillFailed, "could not complete (exit 1)"},
		{"check timeout", drillOut("@@check 124"), qemuSpec, 1, true, DrillFailed, "timed out"},
		{"copy differs", drillOut("@@compare 1"), qemuSpec, 1, true, DrillFailed, "copy differs"},
		{"backing file", drillOut("@@backing /base.qcow2"), qemuSpec, 1, true, DrillFailed, "backing file /base.qcow2"},
		{"no sidecar, qemu-img spec", drillOut("@@sidecar -", "@@sha256 -", "@@no-sidecar"), qemuSpec, 1, true, DrillPassed, ""},
		{"no sidecar, sha256 spec", drillOut("@@sidecar -", "@@sha256 -", "@@no-sidecar"), shaSpec, 1, false, DrillFailed, "no FILE.sha256"},
		{"empty sidecar", drillOut("@@sidecar "), shaSpec, 1, false, DrillFailed, "holds no sha256"},
		{"no space", "@@size 100\n@@free 5\n@@fail space\n", qemuSpec, 1, true, DrillFailed, "not enough free space"},
		{"external data file", "@@phase verify\n@@no-sidecar\n@@fail external-data\n", qemuSpec, 0, true, DrillUnknown, "external data file"},
		{"no qemu-img", drillOut("@@check -", "@@compare -", "@@done -", "@@fail tool qemu-img"), qemuSpec, 1, true, DrillUnknown, "not installed"},
		{"cut short", drillOut("@@done -"), qemuSpec, 1, true, DrillUnknown, "cut short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := DrillResult{Level: tc.level}
			FinishDrill(&r, tc.out, tc.spec, tc.qcow2)
			if r.Outcome != tc.outcome || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("%s %q, want %s %q", r.Outcome, r.Reason, tc.outcome, tc.reason)
			}
		})
	}
	r := DrillResult{Level: 1}
	FinishDrill(&r, drillOut(), qemuSpec, true)
	if r.CopyTime != 500*time.Millisecond || r.RestoreTime != time.Second || r.Throughput != 2*1048576 {
		t.Errorf("times: copy %v restore %v throughput %v", r.CopyTime, r.RestoreTime, r.Throughput)
	}
}

func TestParseDrillOutputRefuses(t *testing.T) {
	for _, in := range []string{"hello\n", "@@bytes -1\n", "@@check 999\n", "@@sha256 xyz\n", "@@t lunch 1\n",
		"@@sidecar " + strings.Repeat("a", 200) + "\n", "@@whatever\n", "@@size 99999999999999999999\n"} {
		if _, err := remote.ParseDrillOutput(in); !errors.Is(err, remote.ErrUnparseable) {
			t.Errorf("ParseDrillOutput(%q) = %v, want ErrUnparseable", in, err)
		}
	}
	r := DrillResult{Level: 1}
	FinishDrill(&r, "garbage", hosts.Backup{}, true)
	if r.Outcome != DrillUnknown || !strings.Contains(r.Reason, "unreadable") {
		t.Errorf("garbage: %s %q", r.Outcome, r.Reason)
	}
}

func TestDrillStoreAndMaxAge(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s := NewDrillStore(filepath.Join(t.TempDir(), "state", "drills.json"))
	pass := DrillResult{Host: "kvm-01", Spec: "nightly", Level: 1, Outcome: DrillPassed, Ended: now.Add(-48 * time.Hour),
		RestoreTime: 3 * time.Second, Size: 10, Throughput: 5}
	for _, d := range []DrillResult{pass, {Host: "kvm-01", Spec: "nightly", Outcome: DrillCancelled, Ended: now},
		{Host: "kvm-01", Spec: "weekly", Outcome: DrillFailed, Reason: "qemu-img check: the image is corrupt", Ended: now}} {
		if err := s.Record(d); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(s.path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("drills file mode: %v %v", fi.Mode(), err)
	}
	h := hosts.Host{Name: "kvm-01", Backups: []hosts.Backup{
		{Name: "nightly", DrillMaxAge: 24 * time.Hour}, {Name: "weekly", DrillMaxAge: 720 * time.Hour},
		{Name: "new", DrillMaxAge: time.Hour}, {Name: "untracked"},
	}}
	results := []BackupResult{{Spec: "nightly", Status: OK, Summary: "fine"}, {Spec: "weekly", Status: OK},
		{Spec: "new", Status: OK}, {Spec: "untracked", Status: OK, Summary: "fine"}}
	res := applyDrills(Result{Host: "kvm-01", Check: hosts.CheckBackups, Status: OK}, results, h, recs, now)
	want := map[string]Status{"nightly": WARN, "weekly": CRIT, "new": WARN, "untracked": OK}
	for _, br := range results {
		if br.Status != want[br.Spec] {
			t.Errorf("%s: %s %q, want %s", br.Spec, br.Status, br.Summary, want[br.Spec])
		}
	}
	all := res.Summary + "\n" + res.Details
	if res.Status != CRIT || !strings.Contains(all, "last restore drill failed: qemu-img check") ||
		!strings.Contains(all, "last passing restore drill 48h ago (drill_max_age 24h)") || !strings.Contains(all, "new: WARN no restore drill has passed yet") {
		t.Errorf("check: %s %q\n%s", res.Status, res.Summary, res.Details)
	}
}

func TestParseDrillRecordsRefuses(t *testing.T) {
	for _, in := range []string{"", "{}", `[{"host":"","spec":"x"}]`, `[{"host":"a"}]`, "[" + strings.Repeat(" ", maxDrillFile) + "]"} {
		if _, err := parseDrillRecords([]byte(in)); !errors.Is(err, errDrillFile) {
			t.Errorf("ParseDrillRecords(%.30q) = %v", in, err)
		}
	}
}

func TestRateHyperVDrill(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "lab", "hyperv", "healthy", "drill.json"))
	if err != nil {
		t.Fatal(err)
	}
	sha := hosts.Backup{Verify: remote.VerifySHA256}
	tests := []struct {
		name, out, outcome, reason string
	}{
		{"passes", string(good), DrillPassed, ""},
		{"hash differs", strings.Replace(string(good), `"Hash":"3A`, `"Hash":"4A`, 1), DrillFailed, "sha256 of the copy differs"},
		{"Test-VHD fails", strings.Replace(string(good), `"TestVHD":true`, `"TestVHD":false`, 1), DrillFailed, "Test-VHD"},
		{"no space", `{"Size":100,"Free":5,"Fail":"space"}`, DrillFailed, "not enough free space"},
		{"cut short", `{"Size":100,"Free":500}`, DrillUnknown, "cut short"},
		{"no sidecar", `{"Size":1,"Hash":"` + goodSHA + `","NoSidecar":true,"TestVHD":true}`, DrillFailed, "no FILE.sha256"},
		{"garbage", `{"Size":"many"}`, DrillUnknown, "unreadable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := DrillResult{Level: 1}
			FinishHyperVDrill(&r, tc.out, sha)
			if r.Outcome != tc.outcome || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("%s %q, want %s %q", r.Outcome, r.Reason, tc.outcome, tc.reason)
			}
		})
	}
}
