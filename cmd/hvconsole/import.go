package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// ansibleTimeout bounds one ansible-inventory run (it may call dynamic
// inventory plugins).
const ansibleTimeout = 2 * time.Minute

// maxAnsibleStderr bounds what is kept of ansible-inventory's complaints.
const maxAnsibleStderr = 8 << 10

func runImportCommand(ctx context.Context, env *environment, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "ansible":
			return runImportAnsible(ctx, env, args[1:])
		case "ssh-config":
			return runImportSSHConfig(env, args[1:])
		}
	}
	return &exitError{code: exitUnknown, err: fmt.Errorf("%w: import ansible|ssh-config (see hvconsole help)", errUsage)}
}

func runImportAnsible(ctx context.Context, env *environment, args []string) error {
	var invs listFlag
	var opts hosts.AnsibleImportOptions
	fs := newFlagSet("import ansible", env.stderr)
	fs.Var(&invs, "i", "Ansible inventory (repeatable; \"-\" reads ansible-inventory --list JSON from stdin)")
	fs.StringVar(&opts.Limit, "limit", "", "only hosts matching this Ansible pattern")
	fs.BoolVar(&opts.GroupTags, "group-tag", false, "make each Ansible group a tag")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var inv *hosts.AnsibleInventory
	var err error
	source := "ansible-inventory --list --export"
	if len(invs) == 1 && invs[0] == "-" {
		source = "ansible-inventory JSON read from stdin"
		inv, err = hosts.DecodeAnsible(env.stdin)
	} else {
		for _, i := range invs {
			source += " -i " + i
		}
		inv, err = runAnsibleInventory(ctx, invs)
	}
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	imported, err := inv.Import(opts)
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	header := []string{
		"hvconsole inventory imported from Ansible (" + source + ").",
		"Review it before use. A host without an address is reached as `ssh NAME` would be:",
		"ssh_config (default \"ssh\") supplies what this file leaves out.",
		"Anything that could not be mapped is a comment under its host; secrets are never copied.",
	}
	return hosts.WriteInventory(env.stdout, header, imported)
}

// runAnsibleInventory runs `ansible-inventory --list --export` under a
// deadline, without a shell, and decodes its JSON.
func runAnsibleInventory(ctx context.Context, invs []string) (*hosts.AnsibleInventory, error) {
	bin, err := exec.LookPath("ansible-inventory")
	if err != nil {
		return nil, errors.New("ansible-inventory not found: install ansible-core, or pipe its JSON: " +
			"ansible-inventory --list --export | hvconsole import ansible -i -")
	}
	ctx, cancel := context.WithTimeout(ctx, ansibleTimeout)
	defer cancel()
	args := []string{"--list", "--export"}
	for _, i := range invs {
		args = append(args, "-i", i)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = time.Second
	out, errOut := &limitedBuffer{max: 64 << 20}, &limitedBuffer{max: maxAnsibleStderr}
	cmd.Stdout, cmd.Stderr = out, errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ansible-inventory: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return hosts.DecodeAnsible(bytes.NewReader(out.Bytes()))
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func runImportSSHConfig(env *environment, args []string) error {
	var match string
	fs := newFlagSet("import ssh-config", env.stderr)
	fs.StringVar(&match, "match", "", "only aliases matching this ssh pattern (comma-separated, * and ?)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	file := env.getenv("HVCONSOLE_SSH_CONFIG")
	aliases, err := hosts.ReadSSHAliases(file, env.getenv("HOME"))
	if err != nil {
		return &exitError{code: exitUnknown, err: err}
	}
	imported := hosts.ImportSSHAliases(aliases, match)
	if len(imported) == 0 {
		return &exitError{code: exitUnknown, err: errors.New("no concrete Host alias in ssh_config" + matchNote(match))}
	}
	return hosts.WriteInventory(env.stdout, sshImportHeader(file, aliases.Skipped), imported)
}

func matchNote(match string) string {
	if match == "" {
		return ""
	}
	return " matches " + match
}

func sshImportHeader(file string, skipped []string) []string {
	if file == "" {
		file = "~/.ssh/config"
	}
	h := []string{
		"hvconsole inventory of the Host aliases in " + file + " (hvconsole import ssh-config).",
		"Each host is just its name: address, user, port, keys and jump come from",
		"ssh_config when hvconsole loads this file, as `ssh NAME` would use them.",
	}
	if len(skipped) > 0 {
		h = append(h, "", "Skipped:")
		for _, s := range skipped {
			h = append(h, "  "+s)
		}
	}
	return h
}
