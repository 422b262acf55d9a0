package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/tui"
)

// demoOptions are the flags of `hvconsole demo`.
type demoOptions struct {
	hosts       int
	fleetHosts  int
	hyperV      int
	seed        int64
	quiet       bool
	serve       bool
	printConfig string
	readOnly    bool
	warRoom     bool
	ascii       bool
	noColor     bool
	// drill runs a scored drill (demo_drill.go) of drillIncidents.
	drill          bool
	drillIncidents int
}

func runDemoCommand(ctx context.Context, env *environment, args []string) error {
	opts := demoOptions{hyperV: -1}
	fs := newFlagSet("demo", env.stderr)
	fs.IntVar(&opts.hosts, "hosts", simfleet.DefaultHosts, "how many simulated hosts")
	// a Func flag: its default (one in six of --hosts) is not a number
	// PrintDefaults could show, so the text says it once
	fs.Func("hyperv", "how many of the hosts are Hyper-V (default: one in six)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("want a number of hosts, got %q", s)
		}
		opts.hyperV = n
		return nil
	})
	fs.IntVar(&opts.fleetHosts, "fleet-hosts", 0, "with --serve: the size of the whole fleet when several demo processes share it (the config's cadences are those of the whole)")
	fs.Int64Var(&opts.seed, "seed", 1, "seed of the incident timeline")
	fs.BoolVar(&opts.quiet, "quiet", false, "no incidents")
	fs.BoolVar(&opts.serve, "serve", false, "keep the fleet up without the console")
	fs.StringVar(&opts.printConfig, "print-config", "", "write config.toml and known_hosts to DIR")
	fs.BoolVar(&opts.readOnly, "read-only", false, "refuse every action that changes a host")
	fs.BoolVar(&opts.warRoom, "war-room", false, "start in the war-room grid (implies --read-only)")
	fs.BoolVar(&opts.ascii, "ascii", false, "7-bit glyphs only")
	fs.BoolVar(&opts.noColor, "no-color", false, "no colour (also NO_COLOR=1)")
	fs.BoolVar(&opts.drill, "drill", false, "a scored drill: incidents happen unannounced; acknowledge, act and recover; q prints the score sheet")
	fs.IntVar(&opts.drillIncidents, "drill-incidents", drillIncidents, "how many incidents a drill injects")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if opts.drill && (opts.serve || opts.readOnly || opts.warRoom || opts.drillIncidents < 1) {
		return &exitError{code: exitUnknown, err: fmt.Errorf("%w: --drill needs the console with actions (not --serve, --read-only, --war-room) and --drill-incidents of 1 or more", errUsage)}
	}
	if opts.drill {
		opts.quiet = true // the drill's incidents only
	}
	return runDemo(ctx, env, opts)
}

func runDemo(ctx context.Context, env *environment, opts demoOptions) error {
	if opts.hyperV < 0 {
		opts.hyperV = opts.hosts / 6
	}
	// Each simulated host holds a listener and its accepted connection; the
	// console in the same process holds the client's end too.
	perHost := 3
	if opts.serve {
		perHost = 2
	}
	if opts.hosts > 0 && opts.hosts <= simfleet.MaxHosts {
		if err := ensureFileLimit(opts.hosts, uint64(perHost*opts.hosts)+fdReserve, processRlimit); err != nil {
			return &exitError{code: exitUnknown, err: err}
		}
	}
	sim := simfleet.Options{Hosts: opts.hosts, FleetHosts: opts.fleetHosts, HyperV: opts.hyperV, Seed: opts.seed, Quiet: opts.quiet}
	if opts.printConfig != "" {
		if err := os.MkdirAll(opts.printConfig, 0o700); err != nil {
			return &exitError{code: exitUnknown, err: err}
		}
		sim.Dir = opts.printConfig
	}
	fl, err := simfleet.Start(ctx, sim)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	defer fl.Close()
	// On return: stop the timeline, wait for it, then close the fleet.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = fl.RunTimeline(ctx) })

	if opts.serve {
		fmt.Fprintf(env.stdout, "demo fleet of %d hosts is up; config: %s\nrun: hvconsole check --config %s\nctrl+c stops it\n",
			len(fl.Hosts()), fl.ConfigPath(), fl.ConfigPath())
		<-ctx.Done()
		return nil
	}
	cfg, err := hosts.Load(fl.ConfigPath())
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	if opts.drill {
		return runDrillDemo(ctx, env, fl, cfg, opts)
	}
	return runConsole(ctx, env, cfg, tui.Options{
		ReadOnly:   opts.readOnly || opts.warRoom,
		WarRoom:    opts.warRoom,
		ASCII:      opts.ascii,
		NoColor:    opts.noColor,
		DemoBanner: "demo · audit: " + cfg.AuditLog,
	})
}
