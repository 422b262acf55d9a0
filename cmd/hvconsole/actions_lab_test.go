package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// Lab hosts 17-20 belong to the action tests.
const (
	labActA    = 17
	labActB    = 18
	labActTmux = 19
	labActDown = 20
)

func readAuditFile(t *testing.T, path string) []actions.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []actions.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r actions.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// hasRecord reports whether recs hold a record for host in phase with outcome.
func hasRecord(recs []actions.Record, host, phase, outcome string) bool {
	for _, r := range recs {
		if r.Host == host && r.Phase == phase && (outcome == "" || r.Outcome == outcome) {
			return true
		}
	}
	return false
}

// The lab scenarios for actions, sharing one inventory and so one
// audit log, which the last subtest reads back.
func TestActionsLab(t *testing.T) {
	lab := labtest.Require(t)
	a, b, down := lab.Host(labActA).Name, lab.Host(labActB).Name, lab.Host(labActDown).Name
	cfgPath := labConfig(t, lab, lab.KnownHosts, []int{labActA, labActB, labActDown}, nil)
	cfg, err := hosts.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	restart := func(t *testing.T, args ...string) (int, string) {
		code, out, stderr := runCapture(t, append([]string{"restart", "--config", cfgPath}, args...)...)
		t.Logf("restart %v: exit %d\n%s%s", args, code, out, stderr)
		return code, out + stderr
	}

	t.Run("hvconsole restart brings the hypervisor back", func(t *testing.T) {
		lab.Libvirtd(t, "stop", labActA)
		code, out := restart(t, "--host", a, "--service", "libvirtd", "--yes")
		if code != exitOK || !strings.Contains(out, a+": restarted libvirtd, hypervisor back OK in") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})

	t.Run("the action layer brings the hypervisor back", func(t *testing.T) {
		lab.Libvirtd(t, "stop", labActB)
		f, err := openFleet(t.Context(), &environment{getenv: func(string) string { return "" }}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		h, _ := cfg.Select([]string{b}, nil)
		if rep := f.sched.Round(t.Context(), h)[0]; rep.Status != probes.CRIT {
			t.Fatalf("%s with libvirtd stopped is %s", b, rep.Status)
		}
		runner, closeAudit, err := newActionRunner(cfg, f, false)
		if err != nil {
			t.Fatal(err)
		}
		defer closeAudit()
		res := runner.Restart(t.Context(), h, "libvirtd")[0]
		if !res.OK() || res.Final.Status != probes.OK {
			t.Fatalf("restart: %s", res.Summary())
		}
	})

	t.Run("bulk restart with one host unreachable", func(t *testing.T) {
		lab.Libvirtd(t, "stop", labActA)
		lab.Libvirtd(t, "stop", labActB)
		lab.Sshd(t, "stop", labActDown)
		code, out := restart(t, "--host", a, "--host", b, "--host", down, "--service", "libvirtd", "--yes")
		if code != exitCrit {
			t.Fatalf("exit %d, want 2: %s", code, out)
		}
		for _, want := range []string{a + ": restarted libvirtd, hypervisor back OK", b + ": restarted libvirtd, hypervisor back OK",
			down + ": restart of libvirtd failed"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
	})

	t.Run("a service off the allow-list is refused", func(t *testing.T) {
		code, out := restart(t, "--host", a, "--service", "sshd", "--yes")
		if code != exitUnknown || !strings.Contains(out, "allow-list") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})

	t.Run("read-only refuses", func(t *testing.T) {
		lab.Libvirtd(t, "stop", labActA)
		code, out := restart(t, "--host", a, "--service", "libvirtd", "--yes", "--read-only")
		if code != exitUnknown || !strings.Contains(out, "read-only") {
			t.Fatalf("exit %d: %s", code, out)
		}
		// is-active exits 3 for an inactive unit, so read its word, not its status.
		st, _ := lab.Run(t.Context(), "exec", strconv.Itoa(labActA), "systemctl", "is-active", "libvirtd")
		if strings.TrimSpace(st) != "inactive" {
			t.Fatalf("libvirtd on %s is %q after a read-only restart, want it still inactive", a, st)
		}
	})

	t.Run("the audit log holds every record", func(t *testing.T) {
		recs := readAuditFile(t, cfg.AuditLog)
		checks := []struct{ host, phase, outcome string }{
			{a, actions.PhaseIntent, ""}, {a, actions.PhaseOutcome, "ok"},
			{b, actions.PhaseIntent, ""}, {b, actions.PhaseOutcome, "ok"},
			{down, actions.PhaseIntent, ""}, {down, actions.PhaseOutcome, "failed"},
			{a, actions.PhaseRefused, "refused"},
		}
		for _, c := range checks {
			if !hasRecord(recs, c.host, c.phase, c.outcome) {
				t.Errorf("no %s %s record for %s", c.phase, c.outcome, c.host)
			}
		}
		refusals := 0
		for _, r := range recs {
			if r.Phase == actions.PhaseRefused {
				refusals++
			}
		}
		if refusals < 2 {
			t.Errorf("%d refusals recorded, want the allow-list and the read-only ones", refusals)
		}
		if fi, err := os.Stat(cfg.AuditLog); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("audit log mode: %v %v", fi.Mode(), err)
		}
	})
}

// A restart confirmed with keys in the real console, against a real host.
func TestConsoleRestartLab(t *testing.T) {
	lab := labtest.Require(t)
	bin := buildBinary(t)
	name := lab.Host(labActTmux).Name
	cfgPath := labConfig(t, lab, lab.KnownHosts, []int{labActTmux}, nil)
	cfg, err := hosts.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := startTmux(t, 160, 48, []string{"NO_COLOR=1"}, bin, "--config", cfgPath)
	s.waitFor(name+" OK", 30*time.Second, func(scr string) bool { return strings.Contains(rowOf(scr, name), "OK") })

	lab.Libvirtd(t, "stop", labActTmux)
	s.keys("r") // re-probe now rather than wait for the interval
	s.waitFor(name+" CRIT", 20*time.Second, func(scr string) bool { return strings.Contains(rowOf(scr, name), "CRIT") })

	s.keys("x")
	s.waitFor("the service picker", 10*time.Second, func(scr string) bool { return strings.Contains(scr, "Restart which service?") })
	s.keys("Enter")
	s.waitFor("the confirmation with the exact command", 10*time.Second, func(scr string) bool {
		return strings.Contains(scr, "systemctl restart -- 'libvirtd'")
	})
	s.keys("Tab", "Enter") // Cancel has the focus: move it to Confirm
	// The footer sums the verified restart; the event log line is cut at
	// this width, so the footer is what a test can read whole.
	s.waitFor("the verified restart", 60*time.Second, func(scr string) bool {
		return strings.Contains(scr, "restart of libvirtd: 1 back OK") && strings.Contains(scr, "✓ done") &&
			strings.Contains(rowOf(scr, name), "OK")
	})
	recs := readAuditFile(t, cfg.AuditLog)
	if !hasRecord(recs, name, actions.PhaseIntent, "") || !hasRecord(recs, name, actions.PhaseOutcome, "ok") {
		t.Fatalf("audit log lacks the console restart: %+v", recs)
	}
	s.keys("q")
}
