package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/serve"
)

// serveOptions are the flags of `hvconsole serve`.
type serveOptions struct {
	config    string
	logFormat string
}

func runServeCommand(ctx context.Context, env *environment, args []string) error {
	var opts serveOptions
	fs := newFlagSet("serve", env.stderr)
	fs.StringVar(&opts.config, "config", "", "config file")
	fs.StringVar(&opts.logFormat, "log-format", "logfmt", "log format: logfmt or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log, err := newLogger(env.stderr, opts.logFormat)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	path := hosts.ResolvePath(opts.config)
	cfg, err := loadConfig(ctx, env, path)
	if err != nil {
		return err
	}
	f, err := openFleet(ctx, env, cfg)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	if err := f.openJournal(cfg, "serve"); err != nil {
		f.Close()
		return &exitError{code: exitUnknown, err: err}
	}
	// acks made over the attach socket are audited like actions
	audit, err := actions.OpenAuditLog(cfg.AuditLog)
	if err != nil {
		f.Close()
		return &exitError{code: exitUnknown, err: err}
	}
	defer audit.Close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reloads := make(chan struct{}, 1)
	fwdCtx, stopFwd := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { forwardSignals(fwdCtx, hup, reloads) })
	err = serve.Run(ctx, serve.Options{
		Config: cfg, Scheduler: f.sched, Logger: log, Version: version, Reloads: reloads, Drills: f.drills,
		Journal: f.journal, Audit: audit, AckFile: ackFile(cfg),
		Reload: serveReload(ctx, env, path, log, cfg),
	})
	stopFwd()
	wg.Wait()
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	return nil
}

// serveReload is serve's config reload (SIGHUP). It reads ssh_config afresh
// too (a new resolver, not the cache) and sets the GOGC of the new fleet's
// size (withGCPolicy). The SSH pool keeps the options it was opened with
// (probes.PoolOptions): applying a new keepalive_interval, tcp_keepalive or
// max_handshakes would mean dialling every host again, which a reload
// never does to an unchanged host. So a reload whose file differs from
// them says, in serve's log as serve says it of [serve] and [alerting],
// that they take effect at the next start; it says so at each reload
// until a restart, as the running values still differ.
func serveReload(ctx context.Context, env *environment, path string, log *slog.Logger, opened *hosts.Config) func() (*hosts.Config, error) {
	load := withGCPolicy(env.getenv, func() (*hosts.Config, error) {
		return hosts.LoadWith(path, loadOptions(ctx, env, newSSHResolver(env)))
	})
	return func() (*hosts.Config, error) {
		cfg, err := load()
		if err == nil {
			if keys := poolChanges(opened, cfg); len(keys) > 0 {
				log.Warn("reload: SSH connection setting changes take effect at the next start", "keys", strings.Join(keys, ","))
			}
		}
		return cfg, err
	}
}

// poolChanges are the config keys of the SSH pool's options that differ
// between the running config and the reloaded one.
func poolChanges(running, reloaded *hosts.Config) []string {
	var keys []string
	for _, k := range []struct {
		key     string
		changed bool
	}{
		{"keepalive_interval", running.KeepaliveInterval != reloaded.KeepaliveInterval},
		{"tcp_keepalive", running.TCPKeepalive != reloaded.TCPKeepalive},
		{"max_handshakes", running.MaxHandshakes != reloaded.MaxHandshakes},
	} {
		if k.changed {
			keys = append(keys, k.key)
		}
	}
	return keys
}

// forwardSignals turns SIGHUPs into reload requests until ctx ends; a
// request still pending absorbs more signals.
func forwardSignals(ctx context.Context, sig <-chan os.Signal, reloads chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			select {
			case reloads <- struct{}{}:
			default:
			}
		}
	}
}

// newLogger makes serve's structured logger: logfmt (key=value) or JSON.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "logfmt":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("%w: --log-format %q: want logfmt or json", errUsage, format)
}
