package shell

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
)

func jumpHost() hosts.Host {
	return hosts.Host{
		Name: "kvm-07", Address: "10.1.0.7", Port: 2222, User: "ops",
		IdentityFiles: []string{"/home/ops/.ssh/id_fleet"}, KnownHosts: []string{"/etc/hv/known_hosts", "/home/ops/my hosts"},
		ConnectTimeout: 5 * time.Second,
		Jump: []hosts.Hop{
			{Name: "bastion", Address: "bastion.example.net", Port: 22, User: "jump",
				KnownHosts: []string{"/etc/hv/known_hosts"}, IdentityFiles: []string{"/home/ops/.ssh/id_jump"}},
			{Name: "inner", Address: "fd00::5", Port: 2200, User: "relay", KnownHosts: []string{"/etc/hv/inner_hosts"}, UseAgent: true},
		},
	}
}

// The argv carries every setting hvconsole uses, host keys strictly
// checked, the jump chain with each hop's user and port, the address last
// after "--" as its own element.
func TestArgs(t *testing.T) {
	want := []string{
		"-F", "/tmp/x/ssh_config",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UpdateHostKeys=no",
		"-o", `UserKnownHostsFile="/etc/hv/known_hosts" "/home/ops/my hosts"`,
		"-o", "GlobalKnownHostsFile=none",
		"-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none",
		"-o", "ConnectTimeout=5",
		"-i", "/home/ops/.ssh/id_fleet",
		"-J", "jump@bastion.example.net:22,relay@[fd00::5]:2200",
		"-l", "ops",
		"-p", "2222",
		"--", "10.1.0.7",
	}
	if diff := cmp.Diff(want, Args(jumpHost(), "/tmp/x/ssh_config")); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
	direct := hosts.Host{Address: "-oProxyCommand=evil", UseAgent: true}
	got := Args(direct, "")
	if got[0] != "-F" || got[1] != "none" || got[len(got)-2] != "--" || got[len(got)-1] != "-oProxyCommand=evil" {
		t.Errorf("direct host argv %q: want -F none and the address after --", got)
	}
	if strings.Contains(strings.Join(got, " "), "accept-new") {
		t.Error("accept-new in the argv")
	}
}

// The hops' file gives each hop its own known_hosts and identities, and
// strict checking to every host.
func TestConfig(t *testing.T) {
	got, err := Config(jumpHost())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Host \"bastion.example.net\"\n  StrictHostKeyChecking yes\n  UpdateHostKeys no\n  UserKnownHostsFile \"/etc/hv/known_hosts\"\n  GlobalKnownHostsFile none\n  IdentitiesOnly yes\n  IdentityAgent none\n  IdentityFile \"/home/ops/.ssh/id_jump\"\n",
		"Host \"fd00::5\"\n  StrictHostKeyChecking yes\n  UpdateHostKeys no\n  UserKnownHostsFile \"/etc/hv/inner_hosts\"\n  GlobalKnownHostsFile none\nHost *\n",
		"Host *\n  StrictHostKeyChecking yes\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
	h := jumpHost()
	h.Jump[0].KnownHosts = []string{"/tmp/a\"\nHost *\n StrictHostKeyChecking no"}
	if _, err := Config(h); !errors.Is(err, ErrUnsafeValue) {
		t.Errorf("a quote and a line break in a path: %v, want ErrUnsafeValue", err)
	}
}

// No ssh on PATH is one clear error, and nothing runs.
func TestRunWithoutSSH(t *testing.T) {
	c := New(jumpHost())
	c.LookPath = func(string) (string, error) { return "", errors.New("not found") }
	if err := c.Run(); !errors.Is(err, ErrNoSSH) {
		t.Fatalf("Run = %v, want ErrNoSSH", err)
	}
}
