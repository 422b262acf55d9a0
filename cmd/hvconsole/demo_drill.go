package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/tui"
)

// Drill defaults: how many incidents, when the first and last may start,
// and how long the drill may run at most.
const (
	drillIncidents = 2
	drillEarliest  = 20 * time.Second
	drillSpread    = 150 * time.Second
	drillMaxTime   = 15 * time.Minute
)

// planDrill picks n incidents on distinct libvirt hosts at seeded random
// offsets after start: a daemon stopped or an autostart VM crashed.
func planDrill(seed int64, names []string, n int, start time.Time) []incident.Injection {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6472696c6c))
	names = slices.Clone(names)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var plan []incident.Injection
	for i := 0; i < n && i < len(names); i++ {
		kind := incident.InjectDaemonStop
		if rng.IntN(2) == 1 {
			kind = incident.InjectVMCrash
		}
		at := start.Add(drillEarliest + time.Duration(rng.Int64N(int64(drillSpread))))
		plan = append(plan, incident.Injection{Kind: kind, Host: names[i], At: at})
	}
	slices.SortFunc(plan, func(a, b incident.Injection) int { return a.At.Compare(b.At) })
	return plan
}

// drillInjector causes a plan's incidents on the simulated fleet, each at
// its time, and keeps what it did (the crashed VM, the actual time).
type drillInjector struct {
	fl   *simfleet.Fleet
	mu   sync.Mutex
	done []incident.Injection
}

// run injects until the plan is done or ctx ends.
func (d *drillInjector) run(ctx context.Context, plan []incident.Injection) {
	for _, in := range plan {
		t := time.NewTimer(time.Until(in.At))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		h := d.fl.Host(in.Host)
		switch in.Kind {
		case incident.InjectDaemonStop:
			h.StopDaemon()
		case incident.InjectVMCrash:
			if in.VM = h.FirstRunningVM(); in.VM == "" || h.CrashVM(in.VM) != nil {
				continue // nothing to crash on that host
			}
		}
		in.At = time.Now()
		d.mu.Lock()
		d.done = append(d.done, in)
		d.mu.Unlock()
	}
}

// injected is what was done so far.
func (d *drillInjector) injected() []incident.Injection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.done)
}

// runDrillDemo is `demo --drill`: the console over a quiet simulated fleet
// while the plan's incidents happen unannounced; when the operator quits
// (or drillMaxTime passes) the journal of the session is scored, the sheet
// printed and kept as a drill record in the operator's own journal.
func runDrillDemo(ctx context.Context, env *environment, fl *simfleet.Fleet, cfg *hosts.Config, opts demoOptions) error {
	var names []string
	for _, h := range cfg.Hosts {
		if h.Hypervisor != hosts.KindHyperV {
			names = append(names, h.Name)
		}
	}
	plan := planDrill(opts.seed, names, opts.drillIncidents, time.Now())
	inj := &drillInjector{fl: fl}
	ctx, cancel := context.WithTimeout(ctx, drillMaxTime)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { inj.run(ctx, plan) })
	err := runConsole(ctx, env, cfg, tui.Options{
		ASCII: opts.ascii, NoColor: opts.noColor,
		DemoBanner: fmt.Sprintf("DRILL · %d incidents will happen: a acknowledge, act, recover · q ends it", len(plan)),
	})
	cancel()
	wg.Wait()
	if err != nil {
		return err
	}
	return scoreDrill(env, journalFile(cfg), inj.injected())
}

// scoreDrill rates the session's journal at path, prints the sheet and
// appends it to the operator's journal (the state directory's).
func scoreDrill(env *environment, path string, done []incident.Injection) error {
	d, err := incident.Load(path, incident.DefaultKeep)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	sheet := incident.ScoreDrill(done, d.Records)
	fmt.Fprintln(env.stdout, "Drill score sheet")
	if err := sheet.Write(env.stdout); err != nil {
		return err
	}
	j, err := incident.Open(incident.DefaultPath(env.getenv), incident.Options{Source: "demo"})
	if err != nil {
		return &exitError{code: exitUnknown, err: fmt.Errorf("the score was not journaled: %w", err)}
	}
	j.Append(sheet.Record("demo-drill"))
	if err := j.Close(); err != nil {
		return &exitError{code: exitUnknown, err: fmt.Errorf("the score was not journaled: %w", err)}
	}
	fmt.Fprintf(env.stdout, "score journaled in %s\n", j.Path())
	return nil
}
