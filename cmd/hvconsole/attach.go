package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/attach"
	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui"
)

// primeTimeout bounds how long an attached console waits for its
// collectors' first snapshots before it opens anyway.
const primeTimeout = 5 * time.Second

// parseTargets parses every --attach value.
func parseTargets(raw []string) ([]attach.Target, error) {
	var out []attach.Target
	for _, r := range raw {
		t, err := attach.ParseTarget(r)
		if err != nil {
			return nil, &exitError{code: exitUnknown, err: fmt.Errorf("%w: %w", errUsage, err)}
		}
		out = append(out, t)
	}
	return out, nil
}

// attachDialer reaches targets: unix sockets directly, ssh:// through an
// SSH pool whose settings come from the inventory when the target's host is
// an inventory host (its user, keys, known_hosts and jump chain), else from
// the user's defaults (~/.ssh/known_hosts, the agent, ~/.ssh/id_*). Host
// keys are always checked strictly. Close releases the pool.
func attachDialer(ctx context.Context, env *environment, configFlag string, targets []attach.Target) (attach.NetDialer, func() error, error) {
	needSSH := false
	for _, t := range targets {
		needSSH = needSSH || t.SSH
	}
	if !needSSH {
		return attach.NetDialer{}, func() error { return nil }, nil
	}
	var cfg *hosts.Config
	path := hosts.ResolvePath(configFlag)
	if _, err := os.Stat(path); configFlag != "" || err == nil {
		c, _, err := loadAnyConfig(ctx, env, configFlag)
		if err != nil {
			return attach.NetDialer{}, nil, err
		}
		cfg = c
	}
	pool := sshx.NewPool(sshx.Options{})
	resolve := func(t attach.Target) sshx.Target { return sshTarget(env, cfg, t) }
	return attach.NetDialer{Pool: pool, Resolve: resolve}, pool.Close, nil
}

// sshTarget maps an ssh:// target to SSH settings.
func sshTarget(env *environment, cfg *hosts.Config, t attach.Target) sshx.Target {
	var st sshx.Target
	if h, ok := inventoryHost(cfg, t.Host); ok {
		st = probes.Target(h)
	} else {
		home := env.getenv("HOME")
		st = sshx.Target{Endpoint: sshx.Endpoint{Name: t.Host, Address: t.Host, Port: 22, User: env.getenv("USER"),
			UseAgent: env.getenv("SSH_AUTH_SOCK") != "", KnownHosts: []string{filepath.Join(home, ".ssh", "known_hosts")}},
			ConnectTimeout: 10 * time.Second}
		for _, k := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			if p := filepath.Join(home, ".ssh", k); fileExists(p) {
				st.IdentityFiles = append(st.IdentityFiles, p)
			}
		}
	}
	if t.User != "" {
		st.User = t.User
	}
	if t.Port != 0 {
		st.Port = t.Port
	}
	st.Name = "attach:" + st.Name
	return st
}

func inventoryHost(cfg *hosts.Config, name string) (hosts.Host, bool) {
	if cfg == nil {
		return hosts.Host{}, false
	}
	for _, h := range cfg.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return hosts.Host{}, false
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// runAttachedConsole opens the console on collectors instead of probing:
// read-only, with the collectors' sites in the header.
func runAttachedConsole(ctx context.Context, env *environment, raw []string, opts consoleOptions) error {
	targets, err := parseTargets(raw)
	if err != nil {
		return err
	}
	d, closeDialer, err := attachDialer(ctx, env, opts.config, targets)
	if err != nil {
		return err
	}
	fleet := attach.New(d, targets)
	pctx, cancelPrime := context.WithTimeout(ctx, primeTimeout)
	fleet.Prime(pctx)
	cancelPrime()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = fleet.Run(ctx) })
	err = tui.Run(ctx, tui.Options{
		ReadOnly: true, // actions stay with a console that owns its connections
		WarRoom:  opts.warRoom, ASCII: opts.ascii, NoColor: opts.noColor,
		Badge:   "ATTACHED " + strings.Join(fleet.Sites(), ","),
		Journal: memoryJournal(), // the collectors journal; nothing is written twice
	}, fleet)
	cancel()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return errors.Join(err, closeDialer())
}

// runCheckAttached answers `check --attach` from the collectors' current
// state: no host is contacted.
func runCheckAttached(ctx context.Context, env *environment, opts checkOptions) error {
	targets, err := parseTargets(opts.attach)
	if err != nil {
		return err
	}
	d, closeDialer, err := attachDialer(ctx, env, opts.config, targets)
	if err != nil {
		return err
	}
	defer closeDialer()
	all, err := attach.FetchReports(ctx, d, targets)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	reports := slices.DeleteFunc(all, func(r probes.HostReport) bool { return !selectedReport(r, opts) })
	return writeCheckResult(env, opts, reports)
}

// selectedReport applies --host and --tag to a collector's report.
func selectedReport(r probes.HostReport, opts checkOptions) bool {
	if len(opts.hosts) == 0 && len(opts.tags) == 0 {
		return true
	}
	for _, n := range opts.hosts {
		if n == r.Host {
			return true
		}
	}
	for _, t := range opts.tags {
		for _, have := range r.Tags {
			if t == have {
				return true
			}
		}
	}
	return false
}
