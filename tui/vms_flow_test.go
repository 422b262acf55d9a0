package tui

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// demoConsole is the console's real wiring over a simulated fleet: SSH
// pool, scheduler (running), action layer, journal. Everything is closed
// when the test ends.
type demoConsole struct {
	fl     *simfleet.Fleet
	cfg    *hosts.Config
	sched  *probes.Scheduler
	runner *actions.Runner
	j      *incident.Journal
	ctx    context.Context
}

func startDemoConsole(t *testing.T, opts simfleet.Options) *demoConsole {
	t.Helper()
	fl, err := simfleet.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := hosts.Load(fl.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	pool := sshx.NewPool(probes.PoolOptions(cfg))
	tr := probes.NewSSHTransport(pool)
	sched := probes.NewScheduler(cfg, tr, probes.SchedulerOptions{})
	audit, err := actions.OpenAuditLog(cfg.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	j, err := incident.Open(filepath.Join(t.TempDir(), "events.jsonl"), incident.Options{Source: "console"})
	if err != nil {
		t.Fatal(err)
	}
	runner := actions.New(actions.Options{Audit: audit, Transport: tr, Prober: sched, VMs: sched, Journal: j.Action,
		VerifyEvery: 100 * time.Millisecond, VerifyTimeout: 20 * time.Second})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sched.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = sched.Close()
		_ = pool.Close()
		_ = j.Close()
		_ = audit.Close()
		_ = fl.Close()
	})
	return &demoConsole{fl: fl, cfg: cfg, sched: sched, runner: runner, j: j, ctx: ctx}
}

// waitJournal waits (bounded, polling as teatest.WaitFor does) until the
// journal holds a record described as want ("KIND PHASE OUTCOME" for
// actions).
func waitJournal(t *testing.T, j *incident.Journal, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range j.Recent() {
			if r.Action+" "+r.Phase+" "+r.Outcome == want {
				return
			}
		}
		time.Sleep(20 * time.Millisecond) // a poll interval, as teatest.WaitFor's
	}
	t.Fatalf("the journal never held %q: %+v", want, j.Recent())
}

// TestVMStartFlowDemo drives the real program over the simulated fleet: an
// autostart VM crashes, the host turns CRIT; v, the first line (start
// that VM), Confirm; the VM runs again, the host is OK again, and the
// journal and the i view tell the incident with its action.
func TestVMStartFlowDemo(t *testing.T) {
	d := startDemoConsole(t, simfleet.Options{Hosts: 2, Quiet: true})
	host := d.cfg.Hosts[0]
	rep := d.sched.Round(t.Context(), []hosts.Host{host})[0]
	victim := ""
	for _, v := range rep.VMs {
		if v.State == "running" && v.Autostart && victim == "" {
			victim = v.Name
		}
	}
	m := New(Options{Hosts: d.cfg.Hosts, NoColor: true, Actions: d.runner, Journal: d.j}, d.sched).
		withStop(d.ctx.Done()).withContext(d.ctx)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(160, 48))
	waitOut(t, tm, "round")
	if err := d.fl.Host(host.Name).CrashVM(victim); err != nil {
		t.Fatal(err)
	}
	waitOut(t, tm, "1 host CRIT: "+host.Name) // the table follows the worst host: it is selected
	tm.Send(keytest.Press("v"))
	waitOut(t, tm, "Which VM action?")
	tm.Send(keytest.Press("enter")) // the first line: start the crashed VM
	waitOut(t, tm, "Start "+victim+" on "+host.Name)
	tm.Send(keytest.Press("tab"))
	tm.Send(keytest.Press("enter"))
	waitJournal(t, d.j, "vm-start outcome ok")
	waitOut(t, tm, ": running in") // the event log's line of the result
	tm.Send(keytest.Press("i"))
	waitOut(t, tm, "Incidents")
	tm.Send(keytest.Press("q"))
	tm.Send(keytest.Press("q"))
	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !ok {
		t.Fatal("final model has the wrong type")
	}
	if e := final.log.At(0); e.Action != "vm-start" || e.Failed || !strings.Contains(e.Summary, "start of VM "+victim+": running in") {
		// the recovery may be logged after the action
		if e1 := final.log.At(1); e1.Action != "vm-start" || e1.Failed {
			t.Fatalf("events: %+v / %+v", e, e1)
		}
	}
	for _, v := range d.sched.Round(t.Context(), []hosts.Host{host})[0].VMs {
		if v.Name == victim && v.State != "running" {
			t.Fatalf("%s is %s after the start", victim, v.State)
		}
	}
	incs := incident.Build(d.j.Recent(), incident.BuildOptions{})
	if len(incs) != 1 || incs[0].Host != host.Name || len(incs[0].Actions) != 1 || incs[0].Actions[0].Outcome != "ok" {
		t.Fatalf("incidents %+v", incs)
	}
	text := incidentsText(d.j, time.Now(), "·")
	for _, want := range []string{"1 incidents (0 open)", host.Name + "  CRIT  recovered", "vm-start " + victim + " by ", "Journal, newest first"} {
		if !strings.Contains(text, want) {
			t.Errorf("incidents view lacks %q:\n%s", want, text)
		}
	}
}
