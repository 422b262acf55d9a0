package hosts

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// mustLoad loads doc hermetically and fails the test on any problem.
func mustLoad(t *testing.T, doc string, opts LoadOptions) *Config {
	t.Helper()
	cfg, err := LoadWith(writeConfig(t, doc), opts)
	if err != nil {
		t.Fatalf("LoadWith: %v", err)
	}
	return cfg
}

func hostByName(t *testing.T, cfg *Config, name string) Host {
	t.Helper()
	for _, h := range cfg.Hosts {
		if h.Name == name {
			return h
		}
	}
	t.Fatalf("no host %q", name)
	return Host{}
}

func TestJumpChains(t *testing.T) {
	doc := `
[defaults]
user = "ops"
known_hosts = ["/kh/main"]
identity_files = ["/keys/ops"]

[[hosts]]
name = "outer"
address = "outer.example.net"
port = 2201
user = "gate"
known_hosts = ["/kh/outer"]
use_agent = false

[[hosts]]
name = "inner"
address = "10.1.0.1"
jump = "outer"

[[hosts]]
name = "target"
address = "10.1.0.2"
jump = "inner"

[[hosts]]
name = "via-adhoc"
address = "10.2.0.1"
jump = "hop@[2001:db8::1]:2222"

[[hosts]]
name = "behind-adhoc"
address = "10.2.0.2"
jump = "via-adhoc"
`
	cfg := mustLoad(t, doc, hermetic())
	outer := Hop{Name: "outer", Address: "outer.example.net", Port: 2201, User: "gate",
		KnownHosts: []string{"/kh/outer"}, IdentityFiles: []string{"/keys/ops"}, UseAgent: false}
	inner := Hop{Name: "inner", Address: "10.1.0.1", Port: 22, User: "ops",
		KnownHosts: []string{"/kh/main"}, IdentityFiles: []string{"/keys/ops"}, UseAgent: true}
	adhoc := Hop{Name: "hop@[2001:db8::1]:2222", Address: "2001:db8::1", Port: 2222, User: "hop",
		KnownHosts: []string{"/kh/main"}, IdentityFiles: []string{"/keys/ops"}, UseAgent: true}
	viaAdhoc := Hop{Name: "via-adhoc", Address: "10.2.0.1", Port: 22, User: "ops",
		KnownHosts: []string{"/kh/main"}, IdentityFiles: []string{"/keys/ops"}, UseAgent: true}
	tests := []struct {
		host string
		want []Hop
	}{
		{"outer", nil},
		{"inner", []Hop{outer}},
		{"target", []Hop{outer, inner}},
		{"via-adhoc", []Hop{adhoc}},
		{"behind-adhoc", []Hop{adhoc, viaAdhoc}},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			got := hostByName(t, cfg, tc.host).Jump
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Jump (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdhocJumpForms(t *testing.T) {
	tests := []struct {
		spec       string
		user, addr string
		port       int
		bad        string
	}{
		{spec: "gw.example.net", user: "op", addr: "gw.example.net", port: 22},
		{spec: "me@gw.example.net", user: "me", addr: "gw.example.net", port: 22},
		{spec: "gw.example.net:2022", user: "op", addr: "gw.example.net", port: 2022},
		{spec: "10.0.0.9", user: "op", addr: "10.0.0.9", port: 22},
		{spec: "2001:db8::9", user: "op", addr: "2001:db8::9", port: 22},
		{spec: "[2001:db8::9]", user: "op", addr: "2001:db8::9", port: 22},
		{spec: "gw:99999", bad: "out of range"},
		{spec: "gw:x", bad: "invalid"},
		{spec: "@gw", bad: "invalid user"},
		{spec: "me@", bad: "invalid address"},
		{spec: "me@gw;id", bad: "invalid address"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			hop, why := adhocHop(tc.spec, Host{User: "op"})
			if tc.bad != "" {
				if !strings.Contains(why, tc.bad) {
					t.Errorf("adhocHop(%q) reason = %q, want it to say %q", tc.spec, why, tc.bad)
				}
				return
			}
			if why != "" || hop.User != tc.user || hop.Address != tc.addr || hop.Port != tc.port {
				t.Errorf("adhocHop(%q) = %+v, %q; want %s@%s:%d", tc.spec, hop, why, tc.user, tc.addr, tc.port)
			}
		})
	}
}

// A loop is reported once, and a host leading into it adds no problem of
// its own (it has no chain to resolve, but its jump names a real host).
func TestJumpLoopReportedOnce(t *testing.T) {
	doc := `
[[hosts]]
name = "lead"
address = "h0"
jump = "b"
[[hosts]]
name = "a"
address = "h1"
jump = "c"
[[hosts]]
name = "b"
address = "h2"
jump = "a"
[[hosts]]
name = "c"
address = "h3"
jump = "b"
`
	got := problemsOf(t, doc, hermetic())
	matchProblems(t, got, []string{`9:8 hosts[1].jump | jump loop: "a" -> "c" -> "b" -> "a"`})
}

func TestDefaultsAndOverrides(t *testing.T) {
	doc := `
[defaults]
user = "ops"
port = 2222
probe_interval = "30s"
units = ["virtqemud", "virtproxyd"]
checks = ["ssh", "hypervisor"]
sudo = true

[[defaults.backups]]
name = "nightly"
path = "/srv/b/*.qcow2"
max_age = "26h"
min_size = "1GiB"

[[hosts]]
name = "inherits"
address = "h1"

[[hosts]]
name = "overrides"
address = "h2"
user = "root"
port = 22
probe_interval = "1m"
units = ["libvirtd"]
checks = ["ssh", "kvm", "backups"]
sudo = false
use_agent = false
backups = []

[[hosts]]
name = "own-backups"
address = "h3"
services = []
[[hosts.backups]]
name = "dumps"
path = "/var/dumps/*"
max_age = "1h"
min_count = 2
verify = "sha256"
`
	cfg := mustLoad(t, doc, hermetic())
	nightly := Backup{Name: "nightly", Path: "/srv/b/*.qcow2", MaxAge: 26 * time.Hour, MinSize: 1 << 30, Verify: remote.VerifyNone}
	tests := []struct {
		host string
		want func(h *Host)
	}{
		{"inherits", func(h *Host) {
			h.User, h.Port, h.ProbeInterval, h.Sudo = "ops", 2222, 30*time.Second, true
			h.Units = []string{"virtqemud", "virtproxyd"}
			h.Services = h.Units
			h.Checks = []string{"ssh", "hypervisor"}
			h.Backups = []Backup{nightly}
		}},
		{"overrides", func(h *Host) {
			h.User, h.Port, h.ProbeInterval, h.Sudo, h.UseAgent = "root", 22, time.Minute, false, false
			h.Units, h.Services = []string{"libvirtd"}, []string{"libvirtd"}
			h.Checks = []string{"ssh", "kvm", "backups"}
			h.Backups = []Backup{}
		}},
		{"own-backups", func(h *Host) {
			h.User, h.Port, h.ProbeInterval, h.Sudo = "ops", 2222, 30*time.Second, true
			h.Units, h.Services = []string{"virtqemud", "virtproxyd"}, []string{}
			h.Checks = []string{"ssh", "hypervisor"}
			h.Backups = []Backup{{Name: "dumps", Path: "/var/dumps/*", MaxAge: time.Hour, MinCount: 2, Verify: remote.VerifySHA256}}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			want := builtinHost(tc.host, cfg.Hosts[i].Address)
			tc.want(&want)
			if diff := cmp.Diff(want, cfg.Hosts[i]); diff != "" {
				t.Errorf("host (-want +got):\n%s", diff)
			}
		})
	}
}

// builtinHost is a host with only the built-in defaults under hermetic().
func builtinHost(name, addr string) Host {
	return Host{
		Name: name, Address: addr, Port: 22, User: "op", UseAgent: true,
		KnownHosts:     []string{"/home/op/.ssh/known_hosts"},
		ConnectTimeout: 5 * time.Second, ProbeTimeout: 10 * time.Second, ProbeInterval: 15 * time.Second,
		Hypervisor: KindLibvirt, LibvirtSocket: "/run/libvirt/libvirt-sock", LibvirtURI: "qemu:///system",
		Units: []string{"libvirtd"}, Services: []string{"libvirtd"},
		Checks:         []string{CheckSSH, CheckHypervisor, CheckVMs, CheckKVM},
		BackupInterval: 15 * time.Minute,
		ImagePaths:     []string{"/var/lib/libvirt/images"},
		MemFreeWarn:    10, MemFreeCrit: 5, DiskUseWarn: 85, DiskUseCrit: 95, LoadPerCPUWarn: 2,
		VMActions: []string{remote.VMStart, remote.VMResume},
	}
}

func TestBuiltinDefaults(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"user and state dir from the environment",
			map[string]string{"HOME": "/home/op", "USER": "op", "XDG_STATE_HOME": "/state"},
			Config{SSHConfig: SSHConfigSSH, Bell: true, AuditLog: "/state/hvconsole/audit.jsonl", Concurrency: 32, MaxHandshakes: 8,
				KeepaliveInterval: DefaultKeepaliveInterval, TCPKeepalive: DefaultTCPKeepalive, HostKeyRecheck: time.Minute, Hosts: []Host{builtinHost("a", "10.0.0.1")}}},
		{"no USER means root, relative XDG ignored",
			map[string]string{"HOME": "/home/op", "XDG_STATE_HOME": "rel"},
			Config{SSHConfig: SSHConfigSSH, Bell: true, AuditLog: "/home/op/.local/state/hvconsole/audit.jsonl", Concurrency: 32, MaxHandshakes: 8,
				KeepaliveInterval: DefaultKeepaliveInterval, TCPKeepalive: DefaultTCPKeepalive, HostKeyRecheck: time.Minute, Hosts: func() []Host {
					h := builtinHost("a", "10.0.0.1")
					h.User = "root"
					return []Host{h}
				}()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := hermetic()
			opts.Getenv = fakeEnv(tc.env)
			cfg := mustLoad(t, host1, opts)
			cfg.Path = ""
			if diff := cmp.Diff(&tc.want, cfg, ignoreServe, cmpopts.IgnoreUnexported(Config{})); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadUserFromEnvironment(t *testing.T) {
	opts := hermetic()
	opts.Getenv = fakeEnv(map[string]string{"HOME": "/h", "USER": "John Smith"})
	matchProblems(t, problemsOf(t, host1+"[[hosts]]\nname = \"b\"\naddress = \"h\"\n", opts),
		[]string{`- defaults.user | taken from $USER`})
}

func TestTopLevelKeys(t *testing.T) {
	doc := `read_only = true
bell = false
audit_log = "~/audit.jsonl"
max_handshakes = 16
keepalive_interval = "3s"
ssh_config = "off"
host_key_recheck = "5m"
[defaults]
concurrency = 64
`
	cfg := mustLoad(t, doc, hermetic())
	want := &Config{ReadOnly: true, Bell: false, AuditLog: "/home/op/audit.jsonl", Concurrency: 64,
		MaxHandshakes: 16, KeepaliveInterval: 3 * time.Second, TCPKeepalive: DefaultTCPKeepalive, SSHConfig: SSHConfigOff, HostKeyRecheck: 5 * time.Minute}
	cfg.Path = ""
	if diff := cmp.Diff(want, cfg, ignoreServe, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}
