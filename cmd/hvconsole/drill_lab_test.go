package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
)

// Lab host 45 belongs to the drill command's tests.
const labDrill = 45

// `hvconsole drill` end to end on a real host: a good qcow2 backup passes
// L1 (restore time reported, recorded in drills.json beside the audit log),
// and the backups check is then OK for drill_max_age; a corrupted one
// fails (exit 2) and turns the backups check CRIT; L2 is refused on a host
// without KVM (the lab's test driver has none).
func TestDrillCommandLab(t *testing.T) {
	lab := labtest.Require(t)
	good := labtest.QcowImage(t, 8)
	bad := labtest.CorruptQcowRefcount(t, good)
	for name, img := range map[string][]byte{"good": good, "bad": bad} {
		rel := "srv/cli-drill/" + name + "/" + name + ".qcow2"
		lab.HostFile(t, labDrill, rel, string(img))
		sum := sha256.Sum256(img)
		lab.HostFile(t, labDrill, rel+".sha256", hex.EncodeToString(sum[:])+"  "+name+".qcow2\n")
	}
	lab.HostFile(t, labDrill, "srv/cli-restore/.keep", "")
	extra := `restore_dir = "/srv/cli-restore"
checks = ["ssh", "backups"]
[[hosts.backups]]
name = "good"
path = "/srv/cli-drill/good/*.qcow2"
max_age = "1h"
verify = "qemu-img"
drill_max_age = "24h"
drill = "boot"
[[hosts.backups]]
name = "bad"
path = "/srv/cli-drill/bad/*.qcow2"
max_age = "1h"
drill_max_age = "24h"
`
	cfg := labConfig(t, lab, lab.KnownHosts, []int{labDrill}, map[int]string{labDrill: extra})
	name := lab.Host(labDrill).Name

	doc, _, _ := runJSON2(t, "backups", cfg)
	if c := checkByName(t, hostByName(t, doc, name), "backups"); c.Status != probes.WARN ||
		!strings.Contains(c.Summary, "no restore drill has passed yet") {
		t.Errorf("before any drill: %s %q", c.Status, c.Summary)
	}
	code, out, stderr := runCapture(t, "drill", "--config", cfg, "--host", name, "--backup", "good", "--yes")
	t.Logf("drill good: exit %d\n%s%s", code, out, stderr)
	if code != exitOK || !strings.Contains(out, "L1 drill of good passed: restored 8.3 MiB in") {
		t.Errorf("good backup: exit %d %q", code, out)
	}
	code, out, _ = runCapture(t, "drill", "--config", cfg, "--host", name, "--backup", "bad", "--level", "1", "--yes")
	if code != exitCrit || !strings.Contains(out, "qemu-img check: the image is corrupt") {
		t.Errorf("corrupt backup: exit %d %q", code, out)
	}
	code, out, stderr = runCapture(t, "drill", "--config", cfg, "--host", name, "--backup", "good", "--yes", "--read-only")
	if code != exitUnknown || !strings.Contains(out+stderr, "read-only") {
		t.Errorf("read-only: exit %d %q %q", code, out, stderr)
	}

	// L2 on a real libvirtd whose (test driver) capabilities offer no KVM:
	// refused before anything starts, with the reason.
	code, out, stderr = runCapture(t, "drill", "--config", cfg, "--host", name, "--backup", "good", "--level", "2", "--yes")
	if code != exitUnknown || !strings.Contains(out, "L2 drill of good refused") || !strings.Contains(out, "offers no KVM guests") {
		t.Errorf("L2 without KVM: exit %d %q %q", code, out, stderr)
	}

	doc, _, _ = runJSON2(t, "backups", cfg)
	c := checkByName(t, hostByName(t, doc, name), "backups")
	if c.Status != probes.CRIT || !strings.Contains(c.Details, "bad: CRIT") ||
		!strings.Contains(c.Details, "last restore drill failed: qemu-img check: the image is corrupt") ||
		!strings.Contains(c.Details, "good: OK") {
		t.Errorf("after the drills: %s %q\n%s", c.Status, c.Summary, c.Details)
	}
	drills, err := os.ReadFile(filepath.Join(filepath.Dir(auditPathOf(t, cfg)), "drills.json"))
	if err != nil || !strings.Contains(string(drills), `"outcome": "passed"`) || !strings.Contains(string(drills), `"restore_seconds"`) {
		t.Errorf("drills.json: %v\n%s", err, drills)
	}
	es, _ := os.ReadDir(filepath.Join(lab.Dir, "hosts", name, "srv", "cli-restore"))
	if len(es) != 1 {
		t.Errorf("scratch left in restore_dir: %v", es)
	}
}

// auditPathOf reads audit_log from a config written by labConfig.
func auditPathOf(t *testing.T, cfg string) string {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.Trim(strings.TrimPrefix(line, "audit_log = "), `"`)
}
