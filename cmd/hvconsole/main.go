// Command hvconsole is a terminal operations console for hypervisor fleets.
//
// It reads a host inventory, connects to every host over SSH, probes the
// hypervisors concurrently and shows what it sees: live in a console, or once
// as a Nagios-style check for scripts and cron.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// Exit codes follow the Nagios plugin convention; main alone decides them.
const (
	exitOK      = 0
	exitWarn    = 1
	exitCrit    = 2
	exitUnknown = 3 // also config and usage errors
)

// errUsage marks an error that is the caller's invocation, not the fleet.
var errUsage = errors.New("usage")

// exitError carries a specific exit code out of a subcommand.
type exitError struct {
	code int
	err  error
	// whole marks err's text as the operator's words already, over
	// several lines maybe (the first run's help, a bulk action's tally):
	// the last line prints it as it is, not in probes.Words.
	whole bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func main() {
	setMemoryLimit(os.Getenv) // a backstop: see memlimit.go
	// SIGHUP (the terminal or the SSH session closed) ends the program
	// like SIGTERM: the console restores the terminal and the demo removes
	// its temporary directory and private key. `serve` is a daemon: there
	// SIGHUP reloads the config (serve.go) and never stops it.
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		sigs = sigs[:2]
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and turns its error into an exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &environment{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, tty: openTTY}
	return exitWith(stderr, dispatch(ctx, env, args))
}

// exitWith prints a command's error as its last line and returns the exit
// code. The line is the error in the operator's words (probes.WordsLong:
// what happened, no chain of packages, a host's text cleaned, not cut for
// a table cell; the audit log and the logs keep chains whole), except for
// the errors that must be read whole: a config error lists every problem
// as file:line:column, a line each; a usage error is the invocation's own;
// and an exitError marked whole is worded already.
func exitWith(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	code, whole := exitUnknown, false
	var ee *exitError
	if errors.As(err, &ee) {
		code, whole, err = ee.code, ee.whole, ee.err
	}
	if err == nil {
		return code
	}
	var ce *hosts.ConfigError
	if whole || errors.As(err, &ce) || errors.Is(err, errUsage) {
		fmt.Fprintln(stderr, "hvconsole:", err)
	} else {
		fmt.Fprintln(stderr, "hvconsole:", probes.WordsLong(err))
	}
	return code
}

// environment is what a subcommand may touch outside its arguments; tests
// swap it instead of the process's globals.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// ssh answers ssh_config lookups for the whole run, so each alias is
	// resolved once however often the config is loaded.
	ssh *hosts.SSHResolver
	// tty opens the controlling terminal to ask a question on (openTTY);
	// nil means there is none.
	tty func() (*os.File, error)
}

func dispatch(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runCheckCommand(ctx, env, args[1:])
		case "serve":
			return runServeCommand(ctx, env, args[1:])
		case "restart":
			return runRestartCommand(ctx, env, args[1:])
		case "drill":
			return runDrillCommand(ctx, env, args[1:])
		case "incidents":
			return runIncidentsCommand(ctx, env, args[1:])
		case "vm":
			return runVMCommand(ctx, env, args[1:])
		case "backups":
			return runBackupsCommand(ctx, env, args[1:])
		case "import":
			return runImportCommand(ctx, env, args[1:])
		case "init":
			return runInitCommand(env, args[1:])
		case "validate":
			return runValidateCommand(ctx, env, args[1:])
		case "demo":
			return runDemoCommand(ctx, env, args[1:])
		case "version", "--version":
			fmt.Fprintln(env.stdout, "hvconsole", versionText())
			return nil
		case "help", "-h", "--help":
			fmt.Fprint(env.stdout, usageText)
			return nil
		}
		if !strings.HasPrefix(args[0], "-") {
			return &exitError{code: exitUnknown, err: fmt.Errorf("%w: unknown command %q; commands: %s (see hvconsole help)",
				errUsage, args[0], strings.Join(subcommands, ", "))}
		}
	}
	return runConsoleCommand(ctx, env, args)
}

// subcommands are the words dispatch knows, for the unknown-command error.
var subcommands = []string{"check", "backups", "restart", "vm", "drill", "incidents", "serve", "validate", "import",
	"init", "demo", "version", "help"}

const usageText = `hvconsole: a terminal operations console for hypervisor fleets

Usage:
  hvconsole [--config F] [--read-only] [--war-room] [--ascii] [--no-color]
                                        open the live console
  hvconsole --attach TARGET [--attach TARGET]... [--war-room]
                                        the console on collectors (hvconsole serve),
                                        read-only; TARGET is unix:/path/serve.sock
                                        or ssh://[user@]host[:port]/path/serve.sock
  hvconsole check [--config F] [--json] [--host NAME]... [--tag TAG]...
                                        one probe round; Nagios exit codes
  hvconsole check --attach TARGET [--json]
                                        the same from a collector's current state
  hvconsole backups [--config F] [--json] [--host NAME]... [--tag TAG]...
                                        the backups check alone; same exit codes
  hvconsole restart [--config F] --host NAME [--host NAME]... --service UNIT
               [--yes] [--read-only]
                                        restart an allow-listed service and wait
                                        for the hypervisor to be OK again
  hvconsole vm start|resume|destroy [--config F] --host NAME --vm VM [--vm VM]...
               [--yes] [--read-only]
                                        start a shut-off VM, resume a paused one or
                                        force one off (vm_actions allow-list) and
                                        wait until a probe sees it in that state
  hvconsole drill [--config F] --host NAME --backup SPEC [--level 0|1|2]
               [--yes] [--read-only]
                                        a restore drill of the spec's newest backup:
                                        L0 integrity, L1 restore into restore_dir
                                        (default); exit 0 passed, 2 failed, 3 other
  hvconsole incidents [--config F] [--since 24h] [--host NAME]...
               [--format table|json|markdown] [--journal F] [--until T]
                                        the incidents in the journal: detected,
                                        acknowledged, actions, recovered; time to
                                        detect, acknowledge, recover; markdown is
                                        a postmortem skeleton
  hvconsole serve [--config F] [--log-format logfmt|json]
                                        run as a collector: metrics, alerts, attach
  hvconsole validate [--config F] [--explain NAME]...
                                        report every problem in the config; with
                                        --explain, each connection setting of NAME
                                        and where it came from (inventory,
                                        ssh_config, default)
  hvconsole init [--config F]           write a commented starter config (from
                                        ~/.ssh/config's hosts), never overwriting
  hvconsole import ansible [-i INVENTORY]... [--limit PATTERN] [--group-tag]
                                        an inventory from ansible-inventory
                                        (-i - reads its --list JSON on stdin)
  hvconsole import ssh-config [--match PATTERN]
                                        an inventory of your ssh_config's Host
                                        aliases (both print TOML on stdout)
  hvconsole demo [--hosts N] [--hyperv N] [--seed S] [--quiet] [--read-only]
               [--war-room] [--ascii] [--no-color]
                                        the console on a built-in simulated fleet
  hvconsole demo --drill [--seed S] [--drill-incidents N]
                                        a scored drill: incidents happen unannounced;
                                        q prints the score sheet (also journaled)
  hvconsole demo --serve [--print-config DIR] [--fleet-hosts N]
                                        the simulated fleet alone, for check;
                                        --fleet-hosts N: one of several processes
                                        of an N-host fleet (its cadences)
  hvconsole version

The config is --config, else $HVCONSOLE_CONFIG, else
$XDG_CONFIG_HOME/hvconsole/config.toml (~/.config/hvconsole/config.toml).

Every command takes -h for its flags. NO_COLOR=1 turns colour off;
a non-UTF-8 locale or TERM=linux selects ASCII glyphs.

Exit codes (check): 0 OK, 1 WARN, 2 CRIT, 3 UNKNOWN or a config/usage error.
`
