package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
)

// errNoConfig marks the first run: no config file where hvconsole looked.
var errNoConfig = errors.New("no config file")

// firstRunError says where hvconsole looked for its config and offers the
// three ways on: the demo, init, and the example file.
func firstRunError(env *environment, path, from string) error {
	var why string
	switch from {
	case "--config", "$HVCONSOLE_CONFIG":
		why = "named by " + from
	case "$XDG_CONFIG_HOME":
		why = "from $XDG_CONFIG_HOME, as neither --config nor $HVCONSOLE_CONFIG is set"
	default:
		why = "the default, as neither --config nor $HVCONSOLE_CONFIG is set"
	}
	initCmd := "hvconsole init"
	if from == "--config" {
		initCmd += " --config " + path
	}
	aliases, sshFile := sshAliasesFor(env)
	what := "an empty template to fill in"
	if n := len(aliases.Aliases); n > 0 {
		what = fmt.Sprintf("the %d %s of %s", n, plural(n, "host", "hosts"), sshFile)
	}
	return fmt.Errorf(`%w at %s (%s).

Three ways on:
  hvconsole demo       the console on a built-in simulated fleet: nothing to set up
  %-20s write a commented starter config there, with %s
  config.example.toml  every key documented (in hvconsole's source): copy it there and edit`,
		errNoConfig, path, why, initCmd, what)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sshAliasesFor reads the concrete Host aliases of the user's ssh_config
// ($HVCONSOLE_SSH_CONFIG, else ~/.ssh/config); an unreadable file gives
// none, since the starter config is still useful without them.
func sshAliasesFor(env *environment) (hosts.SSHAliases, string) {
	file := env.getenv("HVCONSOLE_SSH_CONFIG")
	shown := file
	if shown == "" {
		shown = "~/.ssh/config"
	}
	a, err := hosts.ReadSSHAliases(file, env.getenv("HOME"))
	if err != nil {
		return hosts.SSHAliases{}, shown
	}
	return a, shown
}

// configMissing reports whether path does not exist (other errors are left
// to Load, which words them with the path).
func configMissing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

func runInitCommand(env *environment, args []string) error {
	var config string
	fs := newFlagSet("init", env.stderr)
	fs.StringVar(&config, "config", "", "where to write the config (default: where hvconsole looks)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, _ := hosts.ResolvePathFrom(config, env.getenv)
	aliases, sshFile := sshAliasesFor(env)
	var b strings.Builder
	if err := writeStarter(&b, aliases, sshFile); err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	if err := writeNew(path, b.String()); err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	n := len(aliases.Aliases)
	fmt.Fprintf(env.stdout, "wrote %s (%d %s from %s)\nnext: hvconsole validate, then hvconsole\n", path, n, plural(n, "host", "hosts"), sshFile)
	return nil
}

// writeNew creates path (and its directory) with text, refusing to touch
// a file that exists: init never overwrites a config.
func writeNew(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: hvconsole init never overwrites a config (hvconsole validate checks it)", path)
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

const starterHead = `# hvconsole config, written by ` + "`hvconsole init`" + `.
# Check it with ` + "`hvconsole validate`" + `; every key is documented in
# config.example.toml and the README.
#
# Hosts are completed from your ssh_config: a host that works with
# ` + "`ssh NAME`" + ` works here with just its name.
# ` + "`hvconsole validate --explain NAME`" + ` shows each setting and its source.

# Refuse every action that changes a host (service restarts) until you set
# this to false.
read_only = true

# How hosts are completed from ssh_config: "ssh" (ask OpenSSH, ssh -G),
# "parse" (hvconsole's own parser, which runs nothing) or "off".
ssh_config = "ssh"

[defaults]
# Settings for every host; a [[hosts]] entry may override each.
# known_hosts = ["~/.ssh/known_hosts"]  # host keys are always checked strictly
# checks = ["ssh", "hypervisor", "vms", "kvm"]
# hypervisor = "libvirt"                # "hyperv" for Windows hosts
`

const starterNoHosts = `
# No hosts yet: add one [[hosts]] table per hypervisor, for example
#
# [[hosts]]
# name = "kvm-01"        # an alias from ~/.ssh/config is enough
# address = "10.0.0.11"  # else its address (and user, port, ... as needed)
# tags = ["dc1"]
`

// writeStarter writes the starter config: the commented head, then the
// ssh_config aliases as hosts, or a commented example when there are none.
func writeStarter(b *strings.Builder, a hosts.SSHAliases, sshFile string) error {
	b.WriteString(starterHead)
	hs := hosts.ImportSSHAliases(a, "")
	if len(hs) == 0 {
		b.WriteString(starterNoHosts)
		return nil
	}
	header := []string{"", "The Host aliases of " + sshFile + "; remove those that are no hypervisors."}
	if len(a.Skipped) > 0 {
		header = append(header, "Skipped:")
		for _, s := range a.Skipped {
			header = append(header, "  "+s)
		}
	}
	return hosts.WriteInventory(b, header, hs)
}
