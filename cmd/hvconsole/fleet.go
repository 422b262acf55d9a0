package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes"
)

// fleet wires the SSH pool and the scheduler for one config; Close releases
// both and returns after their goroutines have exited.
type fleet struct {
	pool      *sshx.Pool
	transport *probes.SSHTransport
	sched     *probes.Scheduler
	// drills holds the restore drill records, in the state directory.
	drills *probes.DrillStore
	// journal is the incident journal, when the command keeps one
	// (openJournal); nil for commands that only look.
	journal *incident.Journal
}

// drillFile is drills.json beside the audit log, in the state directory.
func drillFile(cfg *hosts.Config) string {
	return filepath.Join(filepath.Dir(cfg.AuditLog), "drills.json")
}

func openFleet(ctx context.Context, env *environment, cfg *hosts.Config) (*fleet, error) {
	if err := ensureFileLimit(len(cfg.Hosts), fleetFiles(len(cfg.Hosts)), processRlimit); err != nil {
		return nil, err
	}
	pass, err := unlockKeys(cfg, env)
	if err != nil {
		return nil, err
	}
	setGCPercent(len(cfg.Hosts), env.getenv) // memlimit.go
	opts := probes.PoolOptions(cfg)
	opts.Passphrase = pass
	pool := sshx.NewPool(opts)
	tr := probes.NewSSHTransport(pool)
	drills := probes.NewDrillStore(drillFile(cfg))
	sched := probes.NewScheduler(cfg, tr, probes.SchedulerOptions{Drills: drills})
	return &fleet{pool: pool, transport: tr, sched: sched, drills: drills}, nil
}

// Close stops the scheduler first (it uses the pool), then the pool, then
// flushes the journal.
func (f *fleet) Close() error {
	err := errors.Join(f.sched.Close(), f.pool.Close())
	if f.journal != nil {
		err = errors.Join(err, f.journal.Close())
	}
	return err
}

// unlockKeys asks, once and before any UI owns the terminal, for the
// passphrase of every encrypted identity file, and returns a lookup for the
// SSH pool. Without a terminal it asks nothing: the pool then fails those
// keys with an error naming them. Passphrases stay in memory only.
func unlockKeys(cfg *hosts.Config, env *environment) (func(string) ([]byte, error), error) {
	known := map[string][]byte{}
	tty, _ := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if tty != nil {
		defer tty.Close()
		if !term.IsTerminal(int(tty.Fd())) {
			tty = nil
		}
	}
	for _, file := range identityFiles(cfg) {
		pem, err := os.ReadFile(file)
		if err != nil {
			continue // validate already reported unreadable files
		}
		_, err = ssh.ParsePrivateKey(pem)
		var missing *ssh.PassphraseMissingError
		if !errors.As(err, &missing) || tty == nil {
			continue
		}
		fmt.Fprintf(tty, "Passphrase for %s: ", file)
		pw, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, fmt.Errorf("reading passphrase for %s: %w", file, err)
		}
		if _, err := ssh.ParsePrivateKeyWithPassphrase(pem, pw); err != nil {
			return nil, fmt.Errorf("key %s: wrong passphrase: %w", file, err)
		}
		known[file] = pw
	}
	if len(known) == 0 {
		return nil, nil
	}
	return func(file string) ([]byte, error) {
		if pw, ok := known[file]; ok {
			return pw, nil
		}
		return nil, fmt.Errorf("no passphrase for %s", file)
	}, nil
}

// identityFiles lists every identity file the config uses, once each.
func identityFiles(cfg *hosts.Config) []string {
	seen := map[string]bool{}
	var out []string
	add := func(files []string) {
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	for _, h := range cfg.Hosts {
		add(h.IdentityFiles)
		for _, hop := range h.Jump {
			add(hop.IdentityFiles)
		}
	}
	return out
}
