package hosts

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sshFixture writes an ssh_config exercising what the resolution must get
// right: Include with a glob, Host and Match host blocks, Match exec, Match
// final all, %-tokens and ~, and ProxyJump lists whose hops are aliases.
// It returns the main file and the home directory ssh itself uses for ~.
func sshFixture(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "DIR", dir)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("inc/a.conf", "Host kvm-03\n  HostName 10.9.0.3\n")
	main := write("config", `# generated for hvconsole's tests
Include DIR/inc/*.conf
Host kvm-01
  HostName 10.0.0.11
  User ops
  Port 2222
  IdentityFile %d/.ssh/id_%r@%h
  UserKnownHostsFile ~/.ssh/kh_%n
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
  ServerAliveInterval 30
  TCPKeepAlive no
  IdentitiesOnly yes
Host kvm-02
  ProxyJump alice@bastion:2200,inner
Host bastion
  HostName 192.0.2.1
  User jumper
  ProxyJump outer
Host outer
  HostName 192.0.2.254
Host inner
  HostName 10.0.0.1
  Port 2022
Match host 10.9.*
  User matched
Match originalhost kvm-04 exec "test %n = kvm-04"
  User execd
Match final all
  ConnectTimeout 9
`)
	return main, u.HomeDir
}

// sshLoad loads doc with ssh_config taken from file in the given mode.
func sshLoad(t *testing.T, doc, file, home, sshPath string) (*Config, error) {
	t.Helper()
	getenv := fakeEnv(map[string]string{"HOME": home, "USER": "op"})
	opts := LoadOptions{
		Getenv:    getenv,
		CheckFile: func(string) error { return nil },
		SSH:       NewSSHResolver(SSHResolverOptions{File: file, SSHPath: sshPath}, getenv),
	}
	return LoadWith(writeConfig(t, doc), opts)
}

func requireSSH(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("no ssh binary: the real-OpenSSH tests need it")
	}
	return p
}

const sshHostsDoc = `
[[hosts]]
name = "kvm-01"
[[hosts]]
name = "kvm-02"
[[hosts]]
name = "kvm-03"
[[hosts]]
name = "kvm-04"
`

// TestSSHConfigResolvedByOpenSSH checks what `ssh -G` gives each host.
func TestSSHConfigResolvedByOpenSSH(t *testing.T) {
	sshPath := requireSSH(t)
	file, home := sshFixture(t)
	cfg, err := sshLoad(t, "ssh_config = \"ssh\"\n"+sshHostsDoc, file, home, sshPath)
	if err != nil {
		t.Fatal(err)
	}
	checkResolved(t, cfg, home)
	kvm4 := hostByName(t, cfg, "kvm-04")
	if kvm4.User != "execd" {
		t.Errorf("kvm-04 user = %q, want execd (Match exec evaluated by ssh)", kvm4.User)
	}
	kvm2 := hostByName(t, cfg, "kvm-02")
	if kvm2.ConnectTimeout != 9*time.Second {
		t.Errorf("kvm-02 connect timeout = %v, want 9s from Match final all", kvm2.ConnectTimeout)
	}
	if len(cfg.Notices) != 1 || !strings.Contains(cfg.Notices[0].Reason, "StrictHostKeyChecking accept-new in ssh_config is ignored") {
		t.Errorf("notices = %+v, want the ignored StrictHostKeyChecking of kvm-01", cfg.Notices)
	}
}

// checkResolved checks the hosts both modes resolve alike.
func checkResolved(t *testing.T, cfg *Config, home string) {
	t.Helper()
	kvm1 := hostByName(t, cfg, "kvm-01")
	want1 := Host{Name: "kvm-01", Address: "10.0.0.11", User: "ops", Port: 2222,
		IdentityFiles: []string{home + "/.ssh/id_ops@10.0.0.11"}, UseAgent: false,
		KnownHosts: []string{home + "/.ssh/kh_kvm-01"}, ConnectTimeout: 7 * time.Second}
	got1 := Host{Name: kvm1.Name, Address: kvm1.Address, User: kvm1.User, Port: kvm1.Port,
		IdentityFiles: kvm1.IdentityFiles, UseAgent: kvm1.UseAgent, KnownHosts: kvm1.KnownHosts, ConnectTimeout: kvm1.ConnectTimeout}
	if diff := cmp.Diff(want1, got1); diff != "" {
		t.Errorf("kvm-01 (-want +got):\n%s", diff)
	}
	// TCPKeepAlive is shown, not taken: tcp_keepalive is global.
	ex, _ := cfg.Explain("kvm-01")
	if i := slices.IndexFunc(ex, func(s Setting) bool { return s.Key == "tcp_keepalive" }); i < 0 ||
		ex[i].Value != "no" || !strings.Contains(ex[i].Note, "tcp_keepalive is global") {
		t.Errorf("kvm-01 explain lacks TCPKeepAlive no, shown as not used: %+v", ex)
	}
	kvm2 := hostByName(t, cfg, "kvm-02")
	var hops []string
	for _, h := range kvm2.Jump {
		hops = append(hops, h.Name+"="+h.User+"@"+h.Address+":"+itoa(h.Port))
	}
	wantHops := []string{"outer=op@192.0.2.254:22", "alice@bastion:2200=alice@192.0.2.1:2200", "inner=op@10.0.0.1:2022"}
	if diff := cmp.Diff(wantHops, hops); diff != "" {
		t.Errorf("kvm-02 jump chain (-want +got):\n%s", diff)
	}
	if kvm2.Address != "kvm-02" {
		t.Errorf("kvm-02 address = %q, want its own name (no HostName)", kvm2.Address)
	}
	if kvm3 := hostByName(t, cfg, "kvm-03"); kvm3.Address != "10.9.0.3" || kvm3.User != "matched" {
		t.Errorf("kvm-03 = %s@%s, want matched@10.9.0.3 (Include, then Match host)", kvm3.User, kvm3.Address)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSSHConfigParseFallback checks the Go parser: the same answers where
// it can evaluate the file, and a clear refusal where a Match exec hides a
// host's user.
func TestSSHConfigParseFallback(t *testing.T) {
	file, home := sshFixture(t)
	_, err := sshLoad(t, "ssh_config = \"parse\"\n"+sshHostsDoc, file, home, "")
	got := problemStrings(t, err)
	want := []string{
		`hosts[3]: ssh_config User could not be resolved: ` + file + `:27: Match exec cannot be evaluated without running ssh (ssh_config = "ssh" does); set it in the inventory`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// With the user the Match exec hides written in the inventory, the
	// parser resolves the rest as ssh does.
	doc := sshHostsDoc + "user = \"execd\"\n"
	cfg, err := sshLoad(t, "ssh_config = \"parse\"\n"+doc, file, home, "")
	if err != nil {
		t.Fatal(err)
	}
	checkResolved(t, cfg, home)
}

// TestSSHConfigMissingBinaryFallsBack checks that mode "ssh" without an ssh
// binary uses the parser and says so in explain.
func TestSSHConfigMissingBinaryFallsBack(t *testing.T) {
	file, home := sshFixture(t)
	getenv := fakeEnv(map[string]string{"HOME": home, "USER": "op"})
	r := NewSSHResolver(SSHResolverOptions{File: file}, getenv)
	r.sshPath = "" // as when exec.LookPath finds none
	cfg, err := LoadWith(writeConfig(t, "[[hosts]]\nname = \"kvm-03\"\n"), LoadOptions{Getenv: getenv, SSH: r, CheckFile: func(string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ex, _ := cfg.Explain("kvm-03")
	if ex[0].Key != "address" || !strings.Contains(ex[0].Source, "ssh_config parser (no ssh binary found)") {
		t.Errorf("explain address = %+v, want the parser named as the source", ex[0])
	}
}

// TestSSHConfigPrecedence: the inventory beats ssh_config, which beats the
// defaults; "off" ignores ssh_config and needs an address.
func TestSSHConfigPrecedence(t *testing.T) {
	sshPath := requireSSH(t)
	file, home := sshFixture(t)
	doc := "[defaults]\nport = 22\n[[hosts]]\nname = \"kvm-01\"\nuser = \"root\"\n"
	cfg, err := sshLoad(t, doc, file, home, sshPath)
	if err != nil {
		t.Fatal(err)
	}
	h := hostByName(t, cfg, "kvm-01")
	if h.User != "root" || h.Port != 22 || h.Address != "10.0.0.11" {
		t.Errorf("kvm-01 = %s@%s:%d, want root@10.0.0.11:22 (inventory user and port, ssh_config HostName)", h.User, h.Address, h.Port)
	}
	// %r and %h in IdentityFile take the values the connection uses.
	if want := home + "/.ssh/id_root@10.0.0.11"; len(h.IdentityFiles) != 1 || h.IdentityFiles[0] != want {
		t.Errorf("identity files = %v, want [%s]", h.IdentityFiles, want)
	}
	_, err = sshLoad(t, "ssh_config = \"off\"\n[[hosts]]\nname = \"kvm-01\"\n", file, home, sshPath)
	if got := problemStrings(t, err); len(got) != 1 || !strings.Contains(got[0], `missing required key "address"`) {
		t.Errorf("off: problems = %q, want the missing address", got)
	}
}

// problemStrings lists a ConfigError's problems as KEYPATH: REASON.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	ce, ok := err.(*ConfigError)
	if !ok {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	var out []string
	for _, p := range ce.Problems {
		out = append(out, p.KeyPath+": "+p.Reason)
	}
	return out
}

// TestSSHConfigLookupCancelled: a lookup cut short by the caller says so,
// rather than blaming ssh for a timeout.
func TestSSHConfigLookupCancelled(t *testing.T) {
	requireSSH(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := NewSSHResolver(SSHResolverOptions{File: "/dev/null"}, nil)
	l := r.lookup(ctx, sshQuery{mode: SSHConfigSSH, alias: "kvm-01"})
	if l.err == nil || !strings.Contains(l.err.Error(), "cancelled") {
		t.Errorf("lookup with a cancelled context: err = %v, want cancelled", l.err)
	}
}
