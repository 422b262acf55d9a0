package simfleet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestExecOverSSH(t *testing.T) {
	f := startFleet(t, Options{Hosts: 2, Quiet: true})
	h := f.Hosts()[1]
	c := mustDial(t, f, h)
	h.StopDaemon()
	isActive, _ := remote.UnitsActiveCommand([]string{"libvirtd"})
	restart, _ := remote.RestartCommand("nginx", false)
	for _, tc := range []struct {
		name, cmd, out, stderr string
		code                   int
	}{
		{"is-active stopped", isActive, "inactive\n", "", 3},
		{"restart unknown", restart, "", "Failed to restart nginx.service: Unit nginx.service not found.\n", 5},
		{"unknown command", "reboot now", "", "sh: 1: reboot: not found\n", 127},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := execResult(t, c, tc.cmd)
			if out != tc.out || stderr != tc.stderr || code != tc.code {
				t.Errorf("exec = %q / %q / %d; want %q / %q / %d", out, stderr, code, tc.out, tc.stderr, tc.code)
			}
		})
	}
	t.Run("keepalive gets a reply", func(t *testing.T) {
		ok, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
		if err != nil || ok {
			t.Errorf("keepalive = %v, %v; want a failure reply like OpenSSH", ok, err)
		}
	})
}

func TestLibvirtOverSSHAndDaemonStop(t *testing.T) {
	f := startFleet(t, Options{Hosts: 3, Quiet: true, Seed: 9})
	h := f.Host("demo-02")
	c := mustDial(t, f, h)
	l := libvirt.NewWithDialer(sshDialer{c, DefaultLibvirtSocket})
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		t.Fatalf("ConnectToURI over SSH: %v", err)
	}
	if name, err := l.ConnectGetHostname(); err != nil || name != "demo-02" {
		t.Fatalf("hostname = %q, %v", name, err)
	}
	checkDomains(t, l, h.lockedWorld().domains)

	h.StopDaemon()
	select {
	case <-l.Disconnected():
	case <-time.After(10 * time.Second):
		t.Fatal("client not disconnected when the daemon stopped")
	}
	_, err := c.Dial("unix", DefaultLibvirtSocket)
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.ConnectionFailed || oce.Message != "open failed" {
		t.Fatalf("channel open with daemon down: %v; want OpenChannelError ConnectionFailed", err)
	}

	restart, _ := remote.RestartCommand("libvirtd", false)
	if _, stderr, code := execResult(t, c, restart); code != 0 {
		t.Fatalf("restart exit %d: %s", code, stderr)
	}
	l2 := libvirt.NewWithDialer(sshDialer{c, DefaultLibvirtSocket})
	if err := l2.ConnectToURI(libvirt.QEMUSystem); err != nil {
		t.Fatalf("reconnect after restart: %v", err)
	}
	if _, err := l2.ConnectGetLibVersion(); err != nil {
		t.Errorf("call after restart: %v", err)
	}
	if err := l2.Disconnect(); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}

func TestWrongSocketPathRefused(t *testing.T) {
	f := startFleet(t, Options{Hosts: 1, Quiet: true})
	c := mustDial(t, f, f.Hosts()[0])
	_, err := c.Dial("unix", "/run/libvirt/virtqemud-sock")
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) || oce.Reason != ssh.ConnectionFailed {
		t.Errorf("dial wrong socket: %v", err)
	}
	_, err = c.Dial("tcp", "127.0.0.1:22")
	if !errors.As(err, &oce) || oce.Reason != ssh.Prohibited {
		t.Errorf("dial tcp through host: %v", err)
	}
}

func TestHostKeyRotation(t *testing.T) {
	f := startFleet(t, Options{Hosts: 2, Quiet: true})
	h := f.Hosts()[0]
	before := mustDial(t, f, h)
	if err := h.RotateHostKey(); err != nil {
		t.Fatal(err)
	}
	_, err := dial(t, clientConfig(t, f), h.Addr())
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		t.Fatalf("dial after rotation: %v; want a knownhosts key mismatch", err)
	}
	if bytes.Equal(ke.Want[0].Key.Marshal(), h.HostKey().Marshal()) {
		t.Error("known_hosts already holds the rotated key")
	}
	if out, _, code := execResult(t, before, remote.KVMFactsCommand); code != 0 || out == "" {
		t.Errorf("existing connection broke on rotation: %d", code)
	}
	if !h.Snapshot().KeyRotated {
		t.Error("snapshot does not show the rotation")
	}
	h.RestoreHostKey()
	c, err := dial(t, clientConfig(t, f), h.Addr())
	if err != nil {
		t.Fatalf("dial after restore: %v", err)
	}
	c.Close()
}

func TestUnreachable(t *testing.T) {
	f := startFleet(t, Options{Hosts: 2, Quiet: true})
	h := f.Hosts()[1]
	c := mustDial(t, f, h)
	h.SetUnreachable(true)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("open connection survived SetUnreachable")
	}
	if _, err := dial(t, clientConfig(t, f), h.Addr()); err == nil {
		t.Fatal("dial to an unreachable host succeeded")
	}
	if c, err := dial(t, clientConfig(t, f), f.Hosts()[0].Addr()); err != nil {
		t.Errorf("other host affected: %v", err)
	} else {
		c.Close()
	}
	h.SetUnreachable(false)
	c2, err := dial(t, clientConfig(t, f), h.Addr())
	if err != nil {
		t.Fatalf("dial after return: %v", err)
	}
	c2.Close()
}

func TestAuthRefused(t *testing.T) {
	f := startFleet(t, Options{Hosts: 1, Quiet: true})
	h := f.Hosts()[0]
	other := startFleet(t, Options{Hosts: 1, Quiet: true}) // a different client key
	for _, tc := range []struct {
		name string
		cfg  func() *ssh.ClientConfig
	}{
		{"wrong user", func() *ssh.ClientConfig { c := clientConfig(t, f); c.User = "root"; return c }},
		{"wrong key", func() *ssh.ClientConfig {
			c := clientConfig(t, other)
			c.HostKeyCallback = clientConfig(t, f).HostKeyCallback
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := dial(t, tc.cfg(), h.Addr()); err == nil {
				c.Close()
				t.Error("authentication succeeded")
			}
		})
	}
}

// demoConfig mirrors the keys of hvconsole's config that the fleet writes;
// strict decoding proves there are no others.
type demoConfig struct {
	AuditLog       string `toml:"audit_log"`
	SSHConfig      string `toml:"ssh_config"`
	HostKeyRecheck string `toml:"host_key_recheck"`
	Keepalive      string `toml:"keepalive_interval"`
	TCPKeepalive   string `toml:"tcp_keepalive"`
	Defaults       struct {
		User           string   `toml:"user"`
		IdentityFiles  []string `toml:"identity_files"`
		UseAgent       bool     `toml:"use_agent"`
		KnownHosts     []string `toml:"known_hosts"`
		ConnectTimeout string   `toml:"connect_timeout"`
		ProbeTimeout   string   `toml:"probe_timeout"`
		ProbeInterval  string   `toml:"probe_interval"`
		LibvirtURI     string   `toml:"libvirt_uri"`
		Units          []string `toml:"units"`
		Services       []string `toml:"services"`
		Checks         []string `toml:"checks"`
		BackupInterval string   `toml:"backup_interval"`
	} `toml:"defaults"`
	Hosts []struct {
		Name    string   `toml:"name"`
		Address string   `toml:"address"`
		Port    int      `toml:"port"`
		Tags    []string `toml:"tags"`
		Backups []struct {
			Name    string `toml:"name"`
			Path    string `toml:"path"`
			MaxAge  string `toml:"max_age"`
			MinSize string `toml:"min_size"`
			Verify  string `toml:"verify"`
			Drill   string `toml:"drill"`
		} `toml:"backups"`
	} `toml:"hosts"`
}

func loadDemoConfig(t *testing.T, path string) demoConfig {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg demoConfig
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("config does not decode strictly: %v\n%s", err, b)
	}
	return cfg
}

func TestConfigFile(t *testing.T) {
	f := startFleet(t, Options{Hosts: 4, Quiet: true})
	cfg := loadDemoConfig(t, f.ConfigPath())
	if len(cfg.Hosts) != 4 || cfg.Defaults.User != User || cfg.Defaults.UseAgent ||
		cfg.Defaults.IdentityFiles[0] != f.IdentityPath() || cfg.Defaults.KnownHosts[0] != f.KnownHostsPath() ||
		cfg.AuditLog != f.AuditLogPath() || len(cfg.Defaults.Checks) != 5 || cfg.SSHConfig != "off" {
		t.Errorf("config defaults: %+v", cfg)
	}
	for i, h := range f.Hosts() {
		ch := cfg.Hosts[i]
		if ch.Name != h.Name() || ch.Port != h.Port() || ch.Address != "127.0.0.1" || len(ch.Tags) != 2 ||
			len(ch.Backups) != 1 || !remote.ValidGlob(ch.Backups[0].Path) {
			t.Errorf("host %d in config: %+v", i, ch)
		}
	}
	if info, err := os.Stat(f.IdentityPath()); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("identity file: %v %v", info, err)
	}
}

func TestWriteConfigTo(t *testing.T) {
	f := startFleet(t, Options{Hosts: 2, Quiet: true})
	dir := filepath.Join(t.TempDir(), "printed")
	path, err := f.WriteConfigTo(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadDemoConfig(t, path)
	for _, p := range append(cfg.Defaults.IdentityFiles, cfg.Defaults.KnownHosts...) {
		if filepath.Dir(p) != dir {
			t.Errorf("config points outside %s: %s", dir, p)
		}
	}
	// A client built only from the printed files gets in.
	cb, err := knownhosts.New(cfg.Defaults.KnownHosts[0])
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(cfg.Defaults.IdentityFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	cc := &ssh.ClientConfig{User: cfg.Defaults.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: cb, HostKeyAlgorithms: []string{ssh.KeyAlgoED25519}, Timeout: 5 * time.Second}
	c, err := dial(t, cc, f.Hosts()[1].Addr())
	if err != nil {
		t.Fatalf("dial with printed config: %v", err)
	}
	c.Close()
}

func TestStartOptions(t *testing.T) {
	for _, o := range []Options{{Hosts: -1}, {Hosts: MaxHosts + 1}, {RestartDelay: -time.Second}} {
		if f, err := Start(t.Context(), o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("Start(%+v) = %v, want ErrBadOptions", o, err)
			if f != nil {
				f.Close()
			}
		}
	}
	f, err := Start(t.Context(), Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := f.Dir()
	if len(f.Hosts()) != DefaultHosts || f.Host("demo-12") == nil {
		t.Errorf("default fleet has %d hosts", len(f.Hosts()))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temporary dir left behind: %v", err)
	}
}

func TestCloseWithBusyConnections(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f, err := Start(ctx, Options{Hosts: 2, Quiet: true, Dir: t.TempDir(), RestartDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dial(t, clientConfig(t, f), f.Hosts()[0].Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	restart, _ := remote.RestartCommand("libvirtd", false)
	if err := s.Start(restart); err != nil { // returns once the server accepted the exec
		t.Fatal(err)
	}
	cancel() // the caller's context ends the fleet
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(); err == nil {
		t.Error("hour-long restart finished without error after Close")
	}
}

func TestHostNames(t *testing.T) {
	for _, tc := range []struct {
		i, n int
		want string
	}{{0, 12, "demo-01"}, {11, 12, "demo-12"}, {0, 1000, "demo-0001"}, {999, 1000, "demo-1000"}} {
		if got := hostName(tc.i, tc.n); got != tc.want {
			t.Errorf("hostName(%d, %d) = %q, want %q", tc.i, tc.n, got, tc.want)
		}
	}
	if !strings.HasPrefix(tomlString("a\"b\\c\x01"), `"a\"b\\c\u0001"`) {
		t.Errorf("tomlString = %s", tomlString("a\"b\\c\x01"))
	}
}

// TestConfigLoads proves hvconsole's own loader accepts the generated
// config, file checks included, and sees the fleet in it.
func TestConfigLoads(t *testing.T) {
	f := startFleet(t, Options{Hosts: 3, Quiet: true})
	cfg, err := hosts.Load(f.ConfigPath())
	if err != nil {
		t.Fatalf("hosts.Load: %v", err)
	}
	if len(cfg.Hosts) != 3 || cfg.AuditLog != f.AuditLogPath() {
		t.Fatalf("loaded %d hosts, audit log %q", len(cfg.Hosts), cfg.AuditLog)
	}
	for i, h := range cfg.Hosts {
		fh := f.Hosts()[i]
		if h.Name != fh.Name() || h.Port != fh.Port() || h.User != User || h.UseAgent ||
			!h.HasCheck(hosts.CheckBackups) || !h.Allowed("libvirtd") || h.LibvirtSocket != DefaultLibvirtSocket ||
			len(h.Backups) != 1 || h.Backups[0].MinSize != 1<<30 || h.Backups[0].Verify != remote.VerifySHA256 {
			t.Errorf("host %d loaded as %+v", i, h)
		}
	}
}
