package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
)

func TestPlanDrill(t *testing.T) {
	start := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	names := []string{"a", "b", "c", "d"}
	p1, p2 := planDrill(7, names, 3, start), planDrill(7, names, 3, start)
	if !slices.Equal(p1, p2) {
		t.Fatalf("the same seed planned %v and %v", p1, p2)
	}
	if slices.Equal(p1, planDrill(8, names, 3, start)) {
		t.Errorf("seeds 7 and 8 planned the same drill")
	}
	seen := map[string]bool{}
	for i, in := range p1 {
		if seen[in.Host] || in.At.Before(start.Add(drillEarliest)) || in.At.After(start.Add(drillEarliest+drillSpread)) ||
			(i > 0 && in.At.Before(p1[i-1].At)) {
			t.Errorf("injection %d: %+v", i, in)
		}
		seen[in.Host] = true
	}
	if got := planDrill(1, names[:1], 3, start); len(got) != 1 {
		t.Errorf("more incidents than hosts: %v", got)
	}
}

// TestDemoDrillScore runs a drill's injections on the simulated fleet and
// answers them as an operator would, through the console's wiring (the
// journal observing reports, an ack, the action layer): the sheet gives
// full points for both, and the score is journaled in the state directory.
func TestDemoDrillScore(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	fl, cfg, f, _ := startDemo(t, simfleet.Options{Hosts: 3, Quiet: true, RestartDelay: 50 * time.Millisecond})
	if err := f.openJournal(cfg, "console"); err != nil {
		t.Fatal(err)
	}
	runner, closeAudit, err := newActionRunner(cfg, f, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeAudit)
	plan := []incident.Injection{
		{Kind: incident.InjectDaemonStop, Host: cfg.Hosts[0].Name, At: time.Now()},
		{Kind: incident.InjectVMCrash, Host: cfg.Hosts[1].Name, At: time.Now()},
	}
	inj := &drillInjector{fl: fl}
	inj.run(t.Context(), plan)
	done := inj.injected()
	if len(done) != 2 || done[1].VM == "" {
		t.Fatalf("injected %+v", done)
	}
	observe := func(h hosts.Host, want probes.Status) {
		t.Helper()
		rep := f.sched.Round(t.Context(), []hosts.Host{h})[0]
		if rep.Status != want {
			t.Fatalf("%s is %s, want %s", h.Name, rep.Status, want)
		}
		f.journal.Observe(rep)
	}
	for i, in := range done {
		h := cfg.Hosts[i]
		observe(h, probes.CRIT)
		f.journal.Ack(incident.Ack{Host: h.Name, Owner: "trainee", Note: "mine"})
		if in.Kind == incident.InjectDaemonStop {
			if res := runner.Restart(t.Context(), []hosts.Host{h}, "libvirtd")[0]; !res.OK() {
				t.Fatalf("restart: %s", res.Summary())
			}
		} else if res := runner.VM(t.Context(), h, remote.VMStart, []string{in.VM})[0]; !res.OK() {
			t.Fatalf("vm start: %s", res.Summary())
		}
		observe(h, probes.OK)
	}
	if err := f.journal.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	env := &environment{stdout: &out, stderr: &out, getenv: os.Getenv}
	if err := scoreDrill(env, journalFile(cfg), done); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"daemon-stop", "vm-crash " + done[1].VM, "100/100", "score: 100/100 (2 incidents"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sheet lacks %q:\n%s", want, out.String())
		}
	}
	d, err := incident.Load(filepath.Join(state, "hvconsole", "events.jsonl"), incident.DefaultKeep)
	if err != nil || len(d.Records) != 1 || d.Records[0].Kind != incident.KindDrill || *d.Records[0].Score != 100 {
		t.Fatalf("journaled drill: %+v %v", d.Records, err)
	}
}

func TestDemoDrillUsage(t *testing.T) {
	for _, args := range [][]string{{"demo", "--drill", "--serve"}, {"demo", "--drill", "--read-only"}, {"demo", "--drill", "--drill-incidents", "0"}} {
		if code, _, stderr := runCapture(t, args...); code != exitUnknown || !strings.Contains(stderr, "--drill") {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}
