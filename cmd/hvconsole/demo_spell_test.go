package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/eventlog"
)

// One unreachable spell of a demo host, through the real scheduler (push
// detection, several probe rounds while it is down, the recovery), is two
// event-log lines for that host: down, naming the root cause, and up. The
// issue counted 7 down and 6 up. The lines are made as the console makes
// them: eventlog.Diff of consecutive reports into an eventlog.Log.
func TestUnreachableSpellIsTwoEvents(t *testing.T) {
	fl, cfg, f, _ := startDemo(t, simfleet.Options{Hosts: 2, Quiet: true})
	for i := range cfg.Hosts {
		cfg.Hosts[i].ProbeInterval = 200 * time.Millisecond // the scheduler reads cfg; Run has not started
	}
	victim := cfg.Hosts[1].Name
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	wg.Go(func() { _ = f.sched.Run(t.Context()) })

	var reps []probes.HostReport
	deadline := time.After(30 * time.Second)
	until := func(what string, done func(probes.HostReport) bool) {
		t.Helper()
		for {
			select {
			case r := <-f.sched.Updates():
				if r.Host != victim {
					continue
				}
				reps = append(reps, r)
				if done(r) {
					return
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s (%d reports)", what, len(reps))
			}
		}
	}
	until("a first OK report", func(r probes.HostReport) bool { return r.Status == probes.OK })
	fl.Host(victim).SetUnreachable(true)
	crit := 0
	until("four reports of the spell", func(r probes.HostReport) bool {
		if r.Status == probes.CRIT {
			crit++
		}
		return crit == 4
	})
	fl.Host(victim).SetUnreachable(false)
	until("the recovery", func(r probes.HostReport) bool { return r.Status == probes.OK })

	log := eventlog.NewLog(eventlog.DefaultCapacity)
	for i, r := range reps {
		var prev probes.HostReport
		if i > 0 {
			prev = reps[i-1]
		}
		log.Append(eventlog.Diff(prev, i > 0, r)...)
	}
	var evs []eventlog.Event
	for i := log.Len() - 1; i >= 0; i-- {
		evs = append(evs, log.At(i))
	}
	t.Logf("%d reports, %d lines", len(reps), len(evs))
	if len(evs) != 2 || evs[0].To != probes.CRIT || !strings.HasPrefix(evs[0].Summary, "ssh: unreachable") ||
		evs[1].To != probes.OK || !strings.HasPrefix(evs[1].Summary, "recovered from ssh: unreachable") {
		for _, e := range evs {
			t.Errorf("line %s %v → %v %q %v", e.Check, e.From, e.To, e.Summary, e.Folded)
		}
		t.Fatalf("%d lines for one spell, want 2: down naming ssh unreachable, and up", len(evs))
	}
}
