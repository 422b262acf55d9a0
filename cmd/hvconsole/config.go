package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/serve"
)

// loadConfig resolves and loads the config; any problem is a usage exit.
// A missing file is the first run: the error says where hvconsole looked
// and what to do. A file without hosts is an error too: every command that
// loads a config probes hosts, and "all OK" over none would be a lie.
func loadConfig(ctx context.Context, env *environment, flagPath string) (*hosts.Config, error) {
	cfg, path, err := loadAnyConfig(ctx, env, flagPath)
	if err != nil {
		return nil, err
	}
	if len(cfg.Hosts) == 0 {
		return nil, &exitError{code: exitUnknown, err: fmt.Errorf("%w %s: add a [[hosts]] entry (see config.example.toml)", errNoHosts, path)}
	}
	return cfg, nil
}

// loadAnyConfig is loadConfig for commands that probe no host from the
// config (an attached console uses only its SSH defaults): a config
// without hosts is fine there.
func loadAnyConfig(ctx context.Context, env *environment, flagPath string) (*hosts.Config, string, error) {
	path, from := hosts.ResolvePathFrom(flagPath, env.getenv)
	if configMissing(path) {
		return nil, path, &exitError{code: exitUnknown, err: firstRunError(env, path, from), whole: true}
	}
	cfg, err := loadConfigFile(ctx, env, path)
	if err != nil {
		return nil, path, &exitError{code: exitUnknown, err: err}
	}
	return cfg, path, nil
}

// errNoHosts marks a config that lists no host.
var errNoHosts = errors.New("no hosts in")

// loadConfigFile loads path, resolving host aliases through ssh_config
// with the run's resolver, so each alias is asked once however often the
// config is read; $HVCONSOLE_SSH_CONFIG names an ssh_config file to read
// instead of the user's own (as `ssh -F` does).
func loadConfigFile(ctx context.Context, env *environment, path string) (*hosts.Config, error) {
	if env.ssh == nil {
		env.ssh = newSSHResolver(env)
	}
	return hosts.LoadWith(path, loadOptions(ctx, env, env.ssh))
}

// loadOptions are what every config load uses: the run's environment and
// ssh_config resolver, and serve's web-config check, so a serve.web_config
// file that does not parse is a config problem with its file:line:col.
func loadOptions(ctx context.Context, env *environment, ssh *hosts.SSHResolver) hosts.LoadOptions {
	return hosts.LoadOptions{Getenv: env.getenv, SSH: ssh, Context: ctx, CheckWebConfig: serve.CheckWebConfig}
}

func newSSHResolver(env *environment) *hosts.SSHResolver {
	return hosts.NewSSHResolver(hosts.SSHResolverOptions{File: env.getenv("HVCONSOLE_SSH_CONFIG")}, env.getenv)
}

func runValidateCommand(ctx context.Context, env *environment, args []string) error {
	var config string
	var explain listFlag
	fs := newFlagSet("validate", env.stderr)
	fs.StringVar(&config, "config", "", "config file")
	fs.Var(&explain, "explain", "print this host's connection settings and where each came from (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(ctx, env, config)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: ok, %d hosts\n", cfg.Path, len(cfg.Hosts))
	for _, n := range cfg.Notices {
		fmt.Fprintf(env.stdout, "%s: note: %s\n", cfg.Path, n.Reason)
	}
	for _, name := range explain {
		settings, ok := cfg.Explain(name)
		if !ok {
			return &exitError{code: exitUnknown, err: fmt.Errorf("%w %q", hosts.ErrUnknownHost, name)}
		}
		writeExplain(env.stdout, name, cfg.SSHConfig, settings)
	}
	return nil
}

// writeExplain prints one host's effective connection settings: setting,
// value and, in brackets, where it came from; a note follows a value that
// hvconsole does not use as ssh would. Widths do not depend on the values,
// so paths of any length keep the layout.
func writeExplain(w io.Writer, name, mode string, settings []hosts.Setting) {
	fmt.Fprintf(w, "\n%s (ssh_config = %q):\n", name, mode)
	for _, s := range settings {
		fmt.Fprintf(w, "  %-16s %s  [%s]\n", s.Key, s.Value, s.Source)
		if s.Note != "" {
			fmt.Fprintf(w, "  %-16s note: %s\n", "", s.Note)
		}
	}
}
