package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
)

// Lab hosts 35-36 belong to the ssh_config tests: 35 is reached by alias
// and is the ProxyJump hop to 36. Tests that run the binary also use 35-36
// for the Ansible import test (read-only probes only).
const (
	labAliasJump   = 35
	labAliasTarget = 36
)

// aliasFleet writes an ssh_config naming lab hosts 35 and 36 by alias only
// (Include, a wildcard Host block and a ProxyJump through 35) and an
// inventory that holds nothing but the two names. It returns the inventory
// and the ssh_config.
func aliasFleet(t *testing.T, lab *labtest.Lab) (string, string) {
	t.Helper()
	if !lab.Has(labAliasTarget) {
		t.Fatalf("the lab has no host %d: start it with lab/lab.sh up 36 (lab/test-all.sh does)", labAliasTarget)
	}
	dir := t.TempDir()
	sshConfig := writeFiles(t, dir, map[string]string{
		"lab.d/hosts.conf": fmt.Sprintf("Host lab-alias-a\n  HostName %s\nHost lab-alias-b\n  HostName %s\n  ProxyJump lab-alias-a\n",
			lab.Host(labAliasJump).Address, lab.Host(labAliasTarget).Address),
		"ssh_config": fmt.Sprintf("Include DIR/lab.d/*.conf\nHost lab-alias-*\n  User root\n  IdentityFile %s\n  UserKnownHostsFile %s\n  IdentitiesOnly yes\n  ConnectTimeout 3\n",
			lab.IdentityFile, lab.KnownHosts),
	}) + "/ssh_config"
	inv := lab.WriteConfig(t, fmt.Sprintf(`audit_log = %q
[defaults]
probe_timeout = "4s"
probe_interval = "2s"
libvirt_uri = "test:///etc/libvirt/node.xml"
checks = ["ssh", "hypervisor", "vms"]

[[hosts]]
name = "lab-alias-a"

[[hosts]]
name = "lab-alias-b"
`, filepath.Join(dir, "audit.jsonl")))
	return inv, sshConfig
}

// TestCheckReachesHostsByAlias: `check` reaches lab hosts named only by
// their ssh_config alias, the second through the first as its ProxyJump,
// each hop's key checked against the known_hosts ssh_config names.
func TestCheckReachesHostsByAlias(t *testing.T) {
	lab := labtest.Require(t)
	inv, sshConfig := aliasFleet(t, lab)
	t.Setenv("HVCONSOLE_SSH_CONFIG", sshConfig)

	r := hosts.NewSSHResolver(hosts.SSHResolverOptions{File: sshConfig}, nil)
	cfg, err := hosts.LoadWith(inv, hosts.LoadOptions{SSH: r, Context: t.Context()})
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Hosts[1]
	if b.Address != lab.Host(labAliasTarget).Address || len(b.Jump) != 1 || b.Jump[0].Address != lab.Host(labAliasJump).Address ||
		b.Jump[0].KnownHosts[0] != lab.KnownHosts {
		t.Fatalf("lab-alias-b = %s via %+v; want %s via %s", b.Address, b.Jump, lab.Host(labAliasTarget).Address, lab.Host(labAliasJump).Address)
	}

	doc, code, stderr := runJSON(t, inv)
	if code != exitOK {
		t.Fatalf("check exit %d, stderr %q, output %+v", code, stderr, doc)
	}
	for _, name := range []string{"lab-alias-a", "lab-alias-b"} {
		if h := hostByName(t, doc, name); h.Status != probes.OK {
			t.Errorf("%s = %s, want OK: %+v", name, h.Status, h.Checks)
		}
	}

	// The jump is really used: with the hop's sshd down, the target fails.
	lab.Sshd(t, "stop", labAliasJump)
	doc, code, _ = runJSON(t, inv, "--host", "lab-alias-b")
	if code == exitOK || hostByName(t, doc, "lab-alias-b").Status == probes.OK {
		t.Errorf("lab-alias-b still OK with its ProxyJump hop down: %+v", doc)
	}
}

// TestConsoleReachesHostsByAlias runs the real console on the alias-only
// inventory and waits for both hosts to show OK.
func TestConsoleReachesHostsByAlias(t *testing.T) {
	lab := labtest.Require(t)
	inv, sshConfig := aliasFleet(t, lab)
	bin := buildBinary(t)
	s := startTmux(t, 160, 48, []string{"NO_COLOR=1", "HVCONSOLE_SSH_CONFIG=" + sshConfig}, bin, "--config", inv)
	s.waitFor("both alias hosts OK", 30*time.Second, func(scr string) bool {
		return strings.Contains(rowOf(scr, "lab-alias-a"), "OK") && strings.Contains(rowOf(scr, "lab-alias-b"), "OK")
	})
	s.keys("q")
	s.waitFor("the console to quit", 10*time.Second, func(string) bool {
		return exec.Command("tmux", "has-session", "-t", s.name).Run() != nil
	})
}

// TestImportSSHConfigLab: `import ssh-config` lists the concrete aliases
// (the wildcard block is skipped and listed), the output validates as
// written, and check reaches both hosts through it.
// Regenerate with: go test ./cmd/hvconsole -run TestImportSSHConfigLab -update
func TestImportSSHConfigLab(t *testing.T) {
	lab := labtest.Require(t)
	_, sshConfig := aliasFleet(t, lab)
	t.Setenv("HVCONSOLE_SSH_CONFIG", sshConfig)
	code, out, stderr := runCapture(t, "import", "ssh-config")
	if code != exitOK {
		t.Fatalf("import ssh-config: exit %d: %s", code, stderr)
	}
	golden.RequireEqual(t, []byte(strings.ReplaceAll(out, filepath.Dir(sshConfig), "$DIR")))
	validateAndCheck(t, out)
}
