package shell

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// Lab hosts of this package (see labtest's package doc): 48 is the
// target, 49 the jump host in front of it.
const labTarget, labJump = 48, 49

// labHost is lab host 48 behind 49, with the lab's key and known_hosts.
func labHost(l *labtest.Lab, knownHosts string) hosts.Host {
	return hosts.Host{
		Name: "shell-target", Address: l.Host(labTarget).Address, Port: 22, User: "root",
		IdentityFiles: []string{l.IdentityFile}, KnownHosts: []string{knownHosts}, ConnectTimeout: 5 * time.Second,
		Jump: []hosts.Hop{{Name: "shell-jump", Address: l.Host(labJump).Address, Port: 22, User: "root",
			IdentityFiles: []string{l.IdentityFile}, KnownHosts: []string{knownHosts}}},
	}
}

// runSSH runs the real OpenSSH client with Args (and the hops' file) and a
// remote command, as the s key does without one.
func runSSH(t *testing.T, h hosts.Host, remote ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh client on this machine")
	}
	text, err := Config(h)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(Args(h, cfg), remote...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// OpenSSH accepts every option the s key gives it and reaches a lab host
// through a jump host with hvconsole's key and known_hosts only.
func TestLabShellThroughJump(t *testing.T) {
	l := labtest.Require(t)
	out, err := runSSH(t, labHost(l, l.KnownHosts), "echo", "shell-ok")
	if err != nil || !strings.Contains(out, "shell-ok") {
		t.Fatalf("ssh through the jump host: %v\n%s", err, out)
	}
}

// A host whose key is not in the known_hosts files is refused, the jump
// host first: strict checking, nothing accepted, nothing written.
func TestLabShellRefusesUnknownKey(t *testing.T) {
	l := labtest.Require(t)
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runSSH(t, labHost(l, empty), "echo", "shell-ok")
	if err == nil || strings.Contains(out, "shell-ok") || !strings.Contains(out, "Host key verification failed") {
		t.Fatalf("unknown keys: err %v, output:\n%s\nwant the connection refused", err, out)
	}
	if data, _ := os.ReadFile(empty); len(data) != 0 {
		t.Fatalf("known_hosts was written:\n%s", data)
	}
}
