package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes/probetest"
)

// The CLI's action lines are words: a host whose SSH port refuses, a
// read-only refusal and a drill that cannot reach its host print what
// happened, never the chain of packages (the audit log keeps it whole).
func TestActionLinesAreWords(t *testing.T) {
	firstRunHome(t, "")
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	// port 1 on loopback: nothing listens, the connect is refused
	doc := fmt.Sprintf("ssh_config = \"off\"\naudit_log = %q\n[defaults]\nknown_hosts = [\"/dev/null\"]\nidentity_files = [%q]\n"+
		"services = [\"libvirtd\"]\nvm_actions = [\"start\"]\n[[hosts]]\nname = \"kvm-01\"\naddress = \"127.0.0.1\"\nport = 1\n"+
		"[[hosts.backups]]\nname = \"nightly\"\npath = \"/srv/backups/*.qcow2\"\nmax_age = \"26h\"\ndrill = \"boot\"\n",
		filepath.Join(dir, "audit.jsonl"), key)
	path := filepath.Join(dir, "fleet.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"restart", "--service", "libvirtd", "--yes"}, "kvm-01: restart of libvirtd failed: connect: connection refused"},
		{[]string{"restart", "--service", "libvirtd", "--yes", "--read-only"}, "kvm-01: restart of libvirtd refused: read-only mode"},
		{[]string{"vm", "start", "--vm", "web", "--yes"}, "kvm-01: start of VM web failed: connect: unreachable: connection refused"},
		{[]string{"vm", "start", "--vm", "web", "--yes", "--read-only"}, "kvm-01: start of VM web refused: read-only mode"},
		{[]string{"drill", "--backup", "nightly", "--level", "2", "--yes"}, "kvm-01: L2 drill of nightly unknown: cannot find the newest backup: connection refused"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{tc.args[0]}, "--config", path, "--host", "kvm-01")
			if tc.args[0] == "vm" {
				args = append([]string{"vm", tc.args[1], "--config", path, "--host", "kvm-01"}, tc.args[2:]...)
			} else {
				args = append(args, tc.args[1:]...)
			}
			_, out, stderr := runCapture(t, args...)
			if !strings.Contains(out, tc.want) {
				t.Errorf("output %q (stderr %q), want %q", out, stderr, tc.want)
			}
			probetest.AssertWords(t, "output", out)
		})
	}
}

// The CLI's last line says an error in words: a refusal of package remote
// or a dead SSH link reads as what happened, a host's bytes cleaned; a
// config error keeps every file:line:column line, a usage error and a
// text cmd worded itself stay as they are.
func TestExitLine(t *testing.T) {
	bad := &hosts.ConfigError{Path: "fleet.toml", Problems: []hosts.Problem{
		{Pos: hosts.Pos{Line: 2, Col: 17}, KeyPath: "defaults.probe_timeout", Reason: `not a duration: "soon"`},
		{Pos: hosts.Pos{Line: 3, Col: 1}, KeyPath: "defaults.bogus", Reason: "unknown key"},
		{Reason: "no hosts"},
	}}
	usage := fmt.Errorf("%w: restart needs --host and --service", errUsage)
	unknownKey := &sshx.UnknownHostError{Host: "[kvm-042.dc1.example.net]:2222", Fingerprint: "SHA256:" + strings.Repeat("x", 43),
		Files: []string{"/home/operator/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts", "/srv/hvconsole/fleet/known_hosts.d/site-a"}}
	tally := errors.Join(errors.New("restart: 1 of 2 hosts did not come back OK"),
		errors.New("restart: 1 outcome(s) could not be written to the audit log /var/log/hv/audit.jsonl"))
	for _, tc := range []struct {
		name string
		err  error
		code int
		want string
	}{
		{"none", nil, exitOK, ""},
		{"a code alone", &exitError{code: exitWarn}, exitWarn, ""},
		{"config error, every line whole", &exitError{code: exitUnknown, err: bad}, exitUnknown,
			"hvconsole: fleet.toml:2:17: defaults.probe_timeout: not a duration: \"soon\"\n" +
				"fleet.toml:3:1: defaults.bogus: unknown key\nfleet.toml: no hosts\n"},
		{"config error wrapped", fmt.Errorf("serve: reload: %w", bad), exitUnknown, "hvconsole: serve: reload: " + bad.Error() + "\n"},
		{"usage", &exitError{code: exitUnknown, err: usage}, exitUnknown, "hvconsole: usage: restart needs --host and --service\n"},
		{"worded whole", &exitError{code: exitCrit, err: tally, whole: true}, exitCrit, "hvconsole: " + tally.Error() + "\n"},
		{"a command refused by remote", &exitError{code: exitUnknown, err: fmt.Errorf("probes: restart on kvm-01: %w",
			fmt.Errorf("%w: unit %q", remote.ErrBadArgument, "a;b"))}, exitUnknown,
			"hvconsole: value not allowed in a remote command: unit \"a;b\"\n"},
		{"an unknown host", &exitError{code: exitUnknown, err: fmt.Errorf("%w %q", hosts.ErrUnknownHost, "kvm-1")}, exitUnknown,
			"hvconsole: unknown host \"kvm-1\"\n"},
		{"a dead SSH link", fmt.Errorf("probes: open the fleet: %w", probetest.DeadLink("kvm-01")), exitUnknown,
			"hvconsole: connection refused\n"},
		{"a host's bytes", &exitError{code: exitCrit, err: fmt.Errorf("sshx: host kvm-01: %w",
			errors.New("\x1b]0;pwned\x07banner\u202e says\u200b no\nmore"))}, exitCrit, "hvconsole: banner says no more\n"},
		{"a host-key refusal, long", &exitError{code: exitUnknown, err: fmt.Errorf("attach: dial: %w", &sshx.DialError{Host: "gw", Hop: "gw",
			Address: "10.0.0.1:22", Err: fmt.Errorf("ssh: handshake failed: %w", unknownKey)})}, exitUnknown, "hvconsole: " + unknownKey.Error() + "\n"},
		{"joined with a close error", errors.Join(&exitError{code: exitUnknown, err: fmt.Errorf("attach: %w", errors.New("no collector"))},
			errors.New("close")), exitUnknown, "hvconsole: no collector\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if code := exitWith(&b, tc.err); code != tc.code || b.String() != tc.want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, b.String(), tc.code, tc.want)
			}
		})
	}
}
