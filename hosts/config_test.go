package hosts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeConfig puts doc in a fresh temp file and returns its path.
func writeConfig(t testing.TB, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hv.toml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeEnv is a Getenv over a fixed map.
func fakeEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// hermetic options: a fixed environment and every file readable, except
// those listed as missing.
func hermetic(missing ...string) LoadOptions {
	getenv := fakeEnv(map[string]string{"HOME": "/home/op", "USER": "op"})
	return LoadOptions{
		Getenv: getenv,
		// ssh -F /dev/null: OpenSSH's defaults only, whatever this machine's
		// ssh_config says.
		SSH: NewSSHResolver(SSHResolverOptions{File: "/dev/null"}, getenv),
		CheckFile: func(p string) error {
			for _, m := range missing {
				if p == m {
					return &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
				}
			}
			return nil
		},
		CheckDir: func(string) error { return nil },
	}
}

// problemsOf loads doc and returns its problems as "LINE:COL KEYPATH: REASON"
// ("-" for an unknown position); it fails the test when the doc is valid.
func problemsOf(t *testing.T, doc string, opts LoadOptions) []string {
	t.Helper()
	cfg, err := LoadWith(writeConfig(t, doc), opts)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("LoadWith = %v, %v; want a *ConfigError", cfg, err)
	}
	if cfg != nil {
		t.Errorf("LoadWith returned a config along with %v", err)
	}
	var out []string
	for _, p := range ce.Problems {
		pos := "-"
		if p.Pos.Known() {
			pos = fmt.Sprintf("%d:%d", p.Pos.Line, p.Pos.Col)
		}
		out = append(out, strings.TrimSpace(pos+" "+p.KeyPath)+": "+p.Reason)
	}
	return out
}

// matchProblems checks got against want, where each want is a prefix
// "LINE:COL KEYPATH" plus a substring of the reason, separated by " | ".
func matchProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		head, reason, _ := strings.Cut(w, " | ")
		if !strings.HasPrefix(got[i], head+": ") || !strings.Contains(got[i], reason) {
			t.Errorf("problem %d = %q, want %q ... %q", i, got[i], head, reason)
		}
	}
}

const host1 = "[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\"\n"

func TestLoadReportsEachProblemKind(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		missing []string
		want    []string
	}{
		{"unknown top-level key", "colour = true\n" + host1,
			nil, []string{`1:1 colour | unknown key "colour"`}},
		{"unknown key in defaults", "[defaults]\nprot = 22\n",
			nil, []string{`2:1 defaults.prot | unknown key "prot"`}},
		{"password is unknown", host1 + "password = \"hunter2\"\n",
			nil, []string{`4:1 hosts[0].password | secrets never go in the config`}},
		{"unknown table", "[default]\nuser = \"x\"\n",
			nil, []string{`1:2 default | unknown key "default"`}},
		{"unknown key in backup", host1 + "[[hosts.backups]]\nname = \"b\"\npath = \"/b/*\"\nmax_age = \"1h\"\nage = 3\n",
			nil, []string{`8:1 hosts[0].backups[0].age | unknown key "age"`}},
		{"wrong type bool", "bell = \"yes\"\n",
			nil, []string{`1:8 bell | want true or false, got a string`}},
		{"wrong type port", host1 + "port = \"22\"\n",
			nil, []string{`4:8 hosts[0].port | want an integer, got a string`}},
		{"wrong type list element", "[defaults]\nunits = [\"libvirtd\", 7]\n",
			nil, []string{`2:22 defaults.units[1] | want a string, got an integer`}},
		{"wrong type list", "[defaults]\nchecks = \"ssh\"\n",
			nil, []string{`2:10 defaults.checks | want an array, got a string`}},
		{"wrong type name is not also missing", "[[hosts]]\nname = 1\naddress = \"h\"\n",
			nil, []string{`2:8 hosts[0].name | want a string, got an integer`}},
		{"duplicate host names", host1 + host1,
			nil, []string{`5:8 hosts[1].name | duplicate host name "a" (first defined at line 2)`}},
		{"jump names a missing host", host1 + "jump = \"bastion\"\n",
			nil, []string{`4:8 hosts[0].jump | jump names unknown host "bastion"`}},
		{"self jump", host1 + "jump = \"a\"\n",
			nil, []string{`4:8 hosts[0].jump | jumps through itself`}},
		{"jump loop", host1 + "jump = \"b\"\n[[hosts]]\nname = \"b\"\naddress = \"h\"\njump = \"a\"\n",
			nil, []string{`4:8 hosts[0].jump | jump loop: "a" -> "b" -> "a"`}},
		{"bad ad-hoc jump", host1 + "jump = \"me@gw:0\"\n",
			nil, []string{`4:8 hosts[0].jump | port 0 out of range`}},
		{"bad duration", "[defaults]\nconnect_timeout = \"5 seconds\"\n",
			nil, []string{`2:19 defaults.connect_timeout | invalid duration "5 seconds"`}},
		{"zero duration", "keepalive_interval = \"0s\"\n",
			nil, []string{`1:22 keepalive_interval | must be greater than zero`}},
		{"negative duration in host", host1 + "probe_timeout = \"-1s\"\n",
			nil, []string{`4:17 hosts[0].probe_timeout | must be greater than zero`}},
		{"keepalive too short", "keepalive_interval = \"1ns\"\n",
			nil, []string{`1:22 keepalive_interval | duration "1ns" is too short: at least 1s`}},
		{"connect timeout too short", "[defaults]\nconnect_timeout = \"50ms\"\n",
			nil, []string{`2:19 defaults.connect_timeout | duration "50ms" is too short: at least 100ms`}},
		{"probe timeout too short", host1 + "probe_timeout = \"10ms\"\n",
			nil, []string{`4:17 hosts[0].probe_timeout | duration "10ms" is too short: at least 100ms`}},
		{"probe interval too short", "[defaults]\nprobe_interval = \"500ms\"\n",
			nil, []string{`2:18 defaults.probe_interval | duration "500ms" is too short: at least 1s`}},
		{"backup interval too short", host1 + "backup_interval = \"5s\"\n",
			nil, []string{`4:19 hosts[0].backup_interval | duration "5s" is too short: at least 10s`}},
		{"bad size", "[defaults]\nbackups = [{name = \"n\", path = \"/b\", max_age = \"1h\", min_size = \"1GB!\"}]\n",
			nil, []string{`2:65 defaults.backups[0].min_size | invalid size "1GB!"`}},
		{"bad service name", "[defaults]\nservices = [\"libvirtd\", \"rm -rf\"]\n",
			nil, []string{`2:25 defaults.services[1] | invalid unit name "rm -rf"`}},
		{"bad unit name", host1 + "units = [\"$(reboot)\"]\n",
			nil, []string{`4:10 hosts[0].units[0] | invalid unit name "$(reboot)"`}},
		{"unknown check", "[defaults]\nchecks = [\"ssh\", \"disk\"]\n",
			nil, []string{`2:18 defaults.checks[1] | unknown check "disk"`}},
		{"unknown hypervisor", "[defaults]\nhypervisor = \"xen\"\n",
			nil, []string{`2:14 defaults.hypervisor | unknown hypervisor "xen"`}},
		{"bad backup glob", host1 + "[[hosts.backups]]\nname = \"b\"\npath = \"/b/$(id)\"\nmax_age = \"1h\"\n",
			nil, []string{`6:8 hosts[0].backups[0].path | invalid backup path "/b/$(id)"`}},
		{"bad backup verify", host1 + "[[hosts.backups]]\nname = \"b\"\npath = \"/b/*\"\nmax_age = \"1h\"\nverify = \"md5\"\n",
			nil, []string{`8:10 hosts[0].backups[0].verify | unknown verify method "md5"`}},
		{"missing backup keys", host1 + "[[hosts.backups]]\nname = \"b\"\n",
			nil, []string{
				`4:3 hosts[0].backups[0].max_age | missing required key "max_age"`,
				`4:3 hosts[0].backups[0].path | missing required key "path"`,
			}},
		{"unreadable identity file", "[defaults]\nidentity_files = [\"~/.ssh/id_gone\"]\n" + host1,
			[]string{"/home/op/.ssh/id_gone"},
			[]string{`2:19 defaults.identity_files[0] | identity file "/home/op/.ssh/id_gone" cannot be read: does not exist`}},
		{"unreadable known_hosts in host", host1 + "known_hosts = [\"/etc/kh\", \"/nope\"]\n",
			[]string{"/nope"},
			[]string{`4:27 hosts[0].known_hosts[1] | known_hosts file "/nope" cannot be read`}},
		{"unreadable built-in known_hosts", host1,
			[]string{"/home/op/.ssh/known_hosts"},
			[]string{`- defaults.known_hosts | (built-in default) cannot be read`}},
		{"empty known_hosts", "[defaults]\nknown_hosts = []\n",
			nil, []string{`2:15 defaults.known_hosts | host keys must be checked`}},
		{"port out of range", host1 + "port = 65536\n",
			nil, []string{`4:8 hosts[0].port | port 65536 out of range 1-65535`}},
		{"missing name and address", "ssh_config = \"off\"\n[[hosts]]\ntags = [\"x\"]\n",
			nil, []string{
				`2:3 hosts[0].address | missing required key "address"`,
				`2:3 hosts[0].name | missing required key "name"`,
			}},
		{"missing name, address from ssh_config", "[[hosts]]\ntags = [\"x\"]\n",
			nil, []string{`1:3 hosts[0].name | missing required key "name"`}},
		{"bad ssh_config mode", "ssh_config = \"yes\"\n",
			nil, []string{`1:14 ssh_config | unknown ssh_config mode "yes"`}},
		{"a missing key is reported once, a mistyped one not as missing", "ssh_config = \"off\"\n[[hosts]]\nname = 5\nadress = \"x\"\n",
			nil, []string{
				`2:3 hosts[0].address | missing required key "address"`,
				`3:8 hosts[0].name | wrong type: want a string, got an integer`,
				`4:1 hosts[0].adress | unknown key "adress": did you mean "address"?`,
			}},
		{"concurrency per host", host1 + "concurrency = 4\n",
			nil, []string{`4:1 hosts[0].concurrency | concurrency is global`}},
		{"concurrency out of range", "[defaults]\nconcurrency = 0\n",
			nil, []string{`2:15 defaults.concurrency | 0 out of range`}},
		{"tilde user path", "audit_log = \"~bob/audit\"\n",
			nil, []string{`1:13 audit_log | only ~ and ~/ are expanded`}},
		{"bad address", "[[hosts]]\nname = \"a\"\naddress = \"a b\"\n",
			nil, []string{`3:11 hosts[0].address | invalid address "a b"`}},
		{"syntax error", "bell = \n",
			nil, []string{`1:8 | unexpected character U+000A at start of value`}},
		{"key defined twice", "bell = true\nbell = false\n",
			nil, []string{`2:1 bell | already defined`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			matchProblems(t, problemsOf(t, tc.doc, hermetic(tc.missing...)), tc.want)
		})
	}
}

// A config with many problems of different kinds, including a wrong type
// that stops go-toml's strict decoding, reports every one, in file order.
func TestLoadReportsAllProblemsAtOnce(t *testing.T) {
	doc := `bell = 1
foo = 2
keepalive_interval = "10x"
[defaults]
units = ["libvirtd", "bad unit", 3]
checks = ["ssh", "nope"]
identity_files = ["/keys/gone"]
[[hosts]]
name = "a"
address = "10.0.0.1"
jump = "b"
password = "x"
[[hosts]]
name = "b"
address = "10.0.0.2"
jump = "a"
[[hosts.backups]]
name = "x"
path = "relative/*"
max_age = "0s"
min_size = "12XB"
[[hosts]]
name = "a"
address = "bad address"
jump = "nohost"
concurrency = 3
port = 70000
`
	want := []string{
		`1:8 bell | wrong type`,
		`2:1 foo | unknown key`,
		`3:22 keepalive_interval | invalid duration`,
		`5:22 defaults.units[1] | invalid unit name`,
		`5:34 defaults.units[2] | wrong type`,
		`6:18 defaults.checks[1] | unknown check`,
		`7:19 defaults.identity_files[0] | cannot be read`,
		`11:8 hosts[0].jump | jump loop`,
		`12:1 hosts[0].password | unknown key`,
		`19:8 hosts[1].backups[0].path | invalid backup path`,
		`20:11 hosts[1].backups[0].max_age | greater than zero`,
		`21:12 hosts[1].backups[0].min_size | invalid size`,
		`23:8 hosts[2].name | duplicate host name`,
		`24:11 hosts[2].address | invalid address`,
		`25:8 hosts[2].jump | unknown host "nohost"`,
		`26:1 hosts[2].concurrency | concurrency is global`,
		`27:8 hosts[2].port | out of range`,
	}
	matchProblems(t, problemsOf(t, doc, hermetic("/keys/gone")), want)
}

// Unknown keys are found the same way whether strict decoding succeeds or
// the lenient second pass (after a wrong type) does the work.
func TestUnknownKeysFoundInBothPasses(t *testing.T) {
	body := "[defaults]\nuserr = \"x\"\n" + host1 + "colour = 1\n[[hosts.backups]]\nnam = \"b\"\npath = \"/b\"\nmax_age = \"1h\"\n"
	want := []string{
		`3:1 defaults.userr | unknown key "userr"`,
		`7:1 hosts[0].colour | unknown key "colour"`,
		`8:3 hosts[0].backups[0].name | missing required key "name"`,
		`9:1 hosts[0].backups[0].nam | unknown key "nam"`,
	}
	t.Run("strict", func(t *testing.T) {
		matchProblems(t, problemsOf(t, "bell = true\n"+body, hermetic()), want)
	})
	t.Run("lenient", func(t *testing.T) {
		want := append([]string{`1:8 bell | wrong type`}, want...)
		matchProblems(t, problemsOf(t, "bell = 0\n"+body, hermetic()), want)
	})
}

func TestConfigErrorFormat(t *testing.T) {
	e := &ConfigError{Path: "f.toml", Problems: []Problem{
		{Pos: Pos{Line: 3, Col: 9}, KeyPath: "hosts[0].jump", Reason: "r1"},
		{KeyPath: "defaults.known_hosts", Reason: "r2"},
		{Pos: Pos{Line: 1, Col: 1}, Reason: "r3"},
	}}
	want := "f.toml:3:9: hosts[0].jump: r1\nf.toml: defaults.known_hosts: r2\nf.toml:1:1: r3"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestLoadMissingFileIsNotAConfigError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	var ce *ConfigError
	if !errors.Is(err, os.ErrNotExist) || errors.As(err, &ce) {
		t.Errorf("Load(missing) = %v, want a wrapped os.ErrNotExist", err)
	}
}

// tcp_keepalive: unset is DefaultTCPKeepalive, "0s" turns it off, anything
// else is whole seconds up to MaxTCPKeepalive, reported with its position.
func TestLoadTCPKeepalive(t *testing.T) {
	tests := []struct {
		name, value string // value "" leaves the key out
		want        time.Duration
		problem     string // "LINE:COL KEYPATH | reason", "" when valid
	}{
		{"unset", "", DefaultTCPKeepalive, ""},
		{"off", `"0s"`, 0, ""},
		{"off without a unit", `"0"`, 0, ""},
		{"seconds", `"5s"`, 5 * time.Second, ""},
		{"the ceiling", `"1h"`, time.Hour, ""},
		{"negative", `"-1s"`, 0, `1:17 tcp_keepalive | must be greater than zero`},
		{"not whole seconds", `"1500ms"`, 0, `1:17 tcp_keepalive | "1500ms" is not whole seconds`},
		{"under a second", `"1ns"`, 0, `1:17 tcp_keepalive | "1ns" is not whole seconds`},
		{"too long", `"2h"`, 0, `1:17 tcp_keepalive | "2h" is too long: at most 1h0m0s`},
		{"bad duration", `"1 s"`, 0, `1:17 tcp_keepalive | invalid duration "1 s"`},
		{"wrong type", `1`, 0, `1:17 tcp_keepalive | want a string, got an integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := host1
			if tc.value != "" {
				doc = "tcp_keepalive = " + tc.value + "\n" + host1
			}
			if tc.problem != "" {
				matchProblems(t, problemsOf(t, doc, hermetic()), []string{tc.problem})
				return
			}
			cfg, err := LoadWith(writeConfig(t, doc), hermetic())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.TCPKeepalive != tc.want {
				t.Errorf("TCPKeepalive = %s, want %s", cfg.TCPKeepalive, tc.want)
			}
		})
	}
}
