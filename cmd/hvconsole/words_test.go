package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
