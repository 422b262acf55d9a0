package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// writeFiles writes name -> body under dir, with DIR in a body replaced by
// dir, and returns dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "DIR", dir)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestValidateExplain is the golden output of `validate --explain` with a
// real `ssh -G`: each setting from the inventory, ssh_config or a default,
// with the notes on settings hvconsole does not loosen or take per host.
// Regenerate with: go test ./cmd/hvconsole -run TestValidateExplain -update
func TestValidateExplain(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh binary")
	}
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"ssh_config": `Host kvm-01
  HostName 127.0.0.1
  User ops
  Port 2222
  IdentityFile DIR/id_%r@%h
  UserKnownHostsFile DIR/kh_%n
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
  ServerAliveInterval 30
  TCPKeepAlive no
Host kvm-02
  ProxyJump alice@bastion:2200
Host bastion
  HostName 192.0.2.1
  IdentityFile DIR/id_bastion
  UserKnownHostsFile DIR/kh_bastion
`,
		"hv.toml": `[defaults]
connect_timeout = "4s"

[[hosts]]
name = "kvm-01"
user = "root"

[[hosts]]
name = "kvm-02"
address = "10.0.0.12"
user = "ops"
identity_files = ["DIR/id_root@127.0.0.1"]
known_hosts = ["DIR/kh_kvm-02"]
`,
		"id_root@127.0.0.1": "", "kh_kvm-01": "", "kh_kvm-02": "", "id_bastion": "", "kh_bastion": "",
	})
	t.Setenv("HVCONSOLE_SSH_CONFIG", filepath.Join(dir, "ssh_config"))
	code, stdout, stderr := runCapture(t, "validate", "--config", filepath.Join(dir, "hv.toml"), "--explain", "kvm-01", "--explain", "kvm-02")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden.RequireEqual(t, []byte(strings.ReplaceAll(stdout, dir, "$DIR")))
}
