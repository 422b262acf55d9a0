package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
)

// Lab host 30 belongs to the restore drill tests: real sshd, real
// qemu-img (qemu-utils) on real qcow2 images in the host's /srv/drill.
const drillLabHost = 30

type drillLab struct {
	lab    *labtest.Lab
	h      hosts.Host
	runner *Runner
	store  *probes.DrillStore
	audit  string
}

// openDrillLab puts one image per case in host 30's /srv/drill/CASE/ with
// its sha256 sidecar written from the good bytes (so a later change of the
// bytes is a content corruption) and returns a runner over real SSH.
func openDrillLab(t *testing.T, rateMiB int, cases map[string][]byte, sidecarOf map[string][]byte) *drillLab {
	t.Helper()
	l := labtest.Require(t)
	cfg, err := hosts.Load(l.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cfg.Hosts, func(h hosts.Host) bool { return h.Name == l.Host(drillLabHost).Name })
	h := cfg.Hosts[i]
	h.RestoreDir, h.DrillRateMiB = "/srv/restore", rateMiB
	l.HostFile(t, drillLabHost, "srv/restore/.keep", "")
	for name, img := range cases {
		rel := "srv/drill/" + name + "/" + name + ".qcow2"
		l.HostFile(t, drillLabHost, rel, string(img))
		sum := sha256.Sum256(sidecarOf[name])
		l.HostFile(t, drillLabHost, rel+".sha256", hex.EncodeToString(sum[:])+"  "+name+".qcow2\n")
		h.Backups = append(h.Backups, hosts.Backup{Name: name, Path: "/srv/drill/" + name + "/*.qcow2",
			MaxAge: time.Hour, Verify: remote.VerifyQemuImg, DrillMaxAge: time.Hour})
	}
	r, store, audit := drillRunner(t, sshx.Options{KeepaliveInterval: time.Second}, Options{DrillTimeout: 2 * time.Minute})
	return &drillLab{lab: l, h: h, runner: r, store: store, audit: audit}
}

// scratchEntries lists host 30's restore folder (the drills' scratch).
func (d *drillLab) scratchEntries(t *testing.T) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(d.lab.Dir, "hosts", d.lab.Host(drillLabHost).Name, "srv", "restore"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Name() != ".keep" {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestLabDrillRatings(t *testing.T) {
	good := labtest.QcowImage(t, 8)
	trunc := good[:len(good)/2]
	flip := slices.Clone(good)
	flip[len(flip)-4096] ^= 1
	cases := map[string][]byte{"good": good, "truncated": trunc, "metadata": labtest.CorruptQcowRefcount(t, good), "content": flip,
		"external": externalDataImage(t)}
	// The sidecar is written from the bytes as the backup tool saw them: a
	// truncated or metadata-corrupted image with its own sidecar is caught
	// by qemu-img check alone, a byte flipped later by sha256 alone
	// (qemu-img check validates metadata only).
	sidecars := map[string][]byte{"good": good, "truncated": trunc, "metadata": cases["metadata"], "content": good,
		"external": cases["external"]}
	d := openDrillLab(t, 0, cases, sidecars)
	tests := []struct {
		spec   string
		level  int
		want   string
		reason string
	}{
		{"good", remote.DrillL0, probes.DrillPassed, ""},
		{"good", remote.DrillL1, probes.DrillPassed, ""},
		{"truncated", remote.DrillL0, probes.DrillFailed, "qemu-img check: the image is corrupt"},
		{"truncated", remote.DrillL1, probes.DrillFailed, "qemu-img check: the image is corrupt"},
		{"metadata", remote.DrillL0, probes.DrillFailed, "qemu-img check: the image is corrupt"},
		{"metadata", remote.DrillL1, probes.DrillFailed, "qemu-img check: the image is corrupt"},
		{"content", remote.DrillL0, probes.DrillFailed, "sha256 of the backup differs"},
		{"content", remote.DrillL1, probes.DrillFailed, "sha256 of the copy differs"},
		// The header names an external data file: qemu-img would open it,
		// so it is never run on the image.
		{"external", remote.DrillL0, probes.DrillUnknown, "external data file"},
		{"external", remote.DrillL1, probes.DrillUnknown, "external data file"},
	}
	for _, tc := range tests {
		t.Run(tc.spec+"/L"+strconv.Itoa(tc.level), func(t *testing.T) {
			var phases []string
			res := d.runner.Drill(t.Context(), DrillRequest{Host: d.h, Backup: tc.spec, Level: tc.level,
				Progress: func(p DrillProgress) { phases = append(phases, p.Phase) }})
			t.Logf("%s", res.Summary())
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("outcome %s %q, want %s %q", res.Outcome, res.Reason, tc.want, tc.reason)
			}
			if tc.level == remote.DrillL1 && res.Outcome == probes.DrillPassed &&
				(res.RestoreTime <= 0 || res.Throughput <= 0 || res.Size != int64(len(good))) {
				t.Errorf("restore time %v, throughput %.0f B/s, size %d", res.RestoreTime, res.Throughput, res.Size)
			}
			if left := d.scratchEntries(t); len(left) != 0 {
				t.Errorf("scratch left behind: %v", left)
			}
			if phases[0] != PhaseList || phases[len(phases)-1] != PhaseDone {
				t.Errorf("phases %v", phases)
			}
		})
	}
}

// copying returns a Progress function and a channel closed at the first
// report of bytes copied: the copy is then under way.
func copying() (func(DrillProgress), <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	return func(p DrillProgress) {
		if p.Phase == PhaseCopy && p.Bytes > 0 {
			once.Do(func() { close(ch) })
		}
	}, ch
}

// waitScratchGone polls host 30's restore folder until it is empty or
// the bound passes; the remote script cleans up by itself, so there is no
// event to wait on.
func (d *drillLab) waitScratchGone(t *testing.T, bound time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		left := d.scratchEntries(t)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A drill cancelled mid-copy (2 MiB/s, 32 MiB) stops, says so, and leaves
// no scratch copy; the audit log has its intent and a "cancelled" outcome.
func TestLabDrillCancel(t *testing.T) {
	img := labtest.QcowImage(t, 32)
	d := openDrillLab(t, 2, map[string][]byte{"big": img}, map[string][]byte{"big": img})
	progress, started := copying()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-started
		cancel()
	}()
	res := d.runner.Drill(ctx, DrillRequest{Host: d.h, Backup: "big", Level: remote.DrillL1, Progress: progress})
	t.Logf("%s", res.Summary())
	if res.Outcome != probes.DrillCancelled {
		t.Errorf("outcome %s %q, want cancelled", res.Outcome, res.Reason)
	}
	if left := d.scratchEntries(t); len(left) != 0 {
		t.Errorf("scratch left after a cancel: %v", left)
	}
	b, err := os.ReadFile(d.audit)
	if err != nil || !strings.Contains(string(b), `"phase":"intent"`) || !strings.Contains(string(b), `"outcome":"cancelled"`) {
		t.Errorf("audit log: %v\n%s", err, b)
	}
	recs, err := d.store.Load()
	if err != nil || len(recs) != 0 {
		t.Errorf("a cancelled drill proves nothing and is not recorded: %v %v", recs, err)
	}
}

// The SSH link dies mid-copy and the host cannot be reached again (its
// listener is stopped): the outcome is unknown, our clean-up cannot
// confirm, and the remote script removes its scratch copy by itself when
// its output pipe goes.
func TestLabDrillLinkDies(t *testing.T) {
	img := labtest.QcowImage(t, 32)
	d := openDrillLab(t, 2, map[string][]byte{"big": img}, map[string][]byte{"big": img})
	progress, started := copying()
	done := make(chan probes.DrillResult, 1)
	go func() {
		done <- d.runner.Drill(t.Context(), DrillRequest{Host: d.h, Backup: "big", Level: remote.DrillL1, Progress: progress})
	}()
	select {
	case <-started:
	case res := <-done:
		t.Fatalf("the drill ended before copying: %s", res.Summary())
	}
	d.lab.Sshd(t, "stop", drillLabHost)
	if n := d.lab.CutSessions(t, drillLabHost); n == 0 {
		t.Errorf("no SSH session to cut")
	}
	res := <-done
	t.Logf("%s", res.Summary())
	if res.Outcome != probes.DrillUnknown || !strings.Contains(strings.Join(res.Notes, "\n"), "scratch copy NOT confirmed removed") {
		t.Errorf("outcome %s: %s %q", res.Outcome, res.Reason, res.Notes)
	}
	if left := d.waitScratchGone(t, 15*time.Second); len(left) != 0 {
		t.Errorf("scratch left after the link died: %v", left)
	}
}

// A drill on a Hyper-V host (the powershell.exe stand-in on host 30, over
// real SSH): the listing and the drill script are our exact scripts; the
// healthy scenario's drill passes, drill-corrupt's Test-VHD fails.
func TestLabDrillHyperV(t *testing.T) {
	d := openDrillLab(t, 0, nil, nil)
	h := d.h
	h.Hypervisor, h.RestoreDir = hosts.KindHyperV, `E:\Restore`
	h.Backups = []hosts.Backup{{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: time.Hour, Verify: remote.VerifySHA256}}
	for _, tc := range []struct {
		scenario, outcome, text string
	}{
		{labtest.HyperVHealthy, probes.DrillPassed, "L1 drill of vhdx passed: restored 40 GiB in 4m22s"},
		{labtest.HyperVDrillCorrupt, probes.DrillFailed, "Test-VHD: the copy is not a usable virtual disk"},
	} {
		d.lab.HyperV(t, drillLabHost, tc.scenario)
		res := d.runner.Drill(t.Context(), DrillRequest{Host: h, Backup: "vhdx", Level: remote.DrillL1})
		if res.Outcome != tc.outcome || !strings.Contains(res.Summary(), tc.text) || res.File != `D:\Backups\dc01-20261126.vhdx` {
			t.Errorf("%s: %s %s: %s", tc.scenario, res.Outcome, res.File, res.Summary())
		}
	}
}

// externalDataImage is a qcow2 image whose header names an external data
// file (a path on this machine, never opened by the drill).
func externalDataImage(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "ext.qcow2")
	out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file="+filepath.Join(dir, "data.raw"), p, "64M").CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-img create: %v\n%s", err, out)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
