package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// firstRunHome makes a fresh home directory with the given ~/.ssh/config
// ("" for none) and points the environment at it.
func firstRunHome(t *testing.T, sshConfig string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HVCONSOLE_CONFIG", "")
	t.Setenv("HVCONSOLE_SSH_CONFIG", "")
	if sshConfig != "" {
		writeFiles(t, home, map[string]string{".ssh/config": sshConfig, ".ssh/known_hosts": "", ".ssh/conf.d/lab": "Host kvm-03\n"})
	}
	return home
}

const firstRunSSHConfig = "Include conf.d/*\nHost kvm-01 kvm-02\n  User ops\nHost *.lan !x.lan\n  User root\nMatch exec \"true\"\n  Port 22\n"

// TestFirstRunMessage is the golden first-run message: where hvconsole
// looked and the three ways on, with and without ssh_config hosts.
// Regenerate with: go test ./cmd/hvconsole -run TestFirstRun -update
func TestFirstRunMessage(t *testing.T) {
	for _, tc := range []struct{ name, sshConfig string }{
		{"with_ssh_hosts", firstRunSSHConfig},
		{"without", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := firstRunHome(t, tc.sshConfig)
			for _, args := range [][]string{{}, {"check"}, {"validate"}} {
				code, stdout, stderr := runCapture(t, args...)
				if code != exitUnknown || stdout != "" {
					t.Fatalf("%v: exit %d, stdout %q; want 3 and nothing", args, code, stdout)
				}
				if len(args) == 0 {
					golden.RequireEqual(t, []byte(strings.ReplaceAll(stderr, home, "$HOME")))
				}
			}
		})
	}
	t.Run("named_by_flag", func(t *testing.T) {
		firstRunHome(t, "")
		missing := filepath.Join(t.TempDir(), "fleet.toml")
		_, _, stderr := runCapture(t, "check", "--config", missing)
		if !strings.Contains(stderr, "no config file at "+missing+" (named by --config)") ||
			!strings.Contains(stderr, "hvconsole init --config "+missing) {
			t.Errorf("stderr = %q, want the path named by --config and init --config", stderr)
		}
	})
}

// TestInit writes the starter config (golden, with and without ssh_config
// hosts), which validates when it has hosts, and never overwrites.
// Regenerate with: go test ./cmd/hvconsole -run TestInit -update
func TestInit(t *testing.T) {
	for _, tc := range []struct{ name, sshConfig string }{
		{"from_ssh_config", firstRunSSHConfig},
		{"empty_template", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := firstRunHome(t, tc.sshConfig)
			code, stdout, stderr := runCapture(t, "init")
			if code != exitOK {
				t.Fatalf("init: exit %d: %s", code, stderr)
			}
			path := filepath.Join(home, ".config", "hvconsole", "config.toml")
			if !strings.HasPrefix(stdout, "wrote "+path) {
				t.Errorf("stdout = %q", stdout)
			}
			written, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			golden.RequireEqual(t, []byte(strings.ReplaceAll(string(written), home, "$HOME")))

			code, vout, verr := runCapture(t, "validate")
			switch {
			case tc.sshConfig != "" && code != exitOK:
				t.Errorf("the starter config does not validate: %s%s", vout, verr)
			case tc.sshConfig == "" && !strings.Contains(verr, "no hosts in "+path):
				t.Errorf("validate of the empty template = %q, want no hosts in %s", verr, path)
			}

			if err := os.WriteFile(path, []byte("# mine\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, stderr = runCapture(t, "init")
			after, _ := os.ReadFile(path)
			if code != exitUnknown || !strings.Contains(stderr, "never overwrites") || string(after) != "# mine\n" {
				t.Errorf("init over an existing file: exit %d, %q, file now %q", code, stderr, after)
			}
		})
	}
}

// TestEmptyInventory: every command that probes, and validate, refuse a
// config without hosts, naming the file.
func TestEmptyInventory(t *testing.T) {
	firstRunHome(t, "")
	path := filepath.Join(t.TempDir(), "empty.toml")
	if err := os.WriteFile(path, []byte("read_only = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--config", path}, {"check", "--config", path}, {"backups", "--config", path},
		{"validate", "--config", path}, {"serve", "--config", path},
		{"restart", "--config", path, "--host", "a", "--service", "libvirtd", "--yes"},
	} {
		code, _, stderr := runCapture(t, args...)
		if code != exitUnknown || !strings.Contains(stderr, "no hosts in "+path) {
			t.Errorf("%v: exit %d, stderr %q; want 3 and no hosts in %s", args, code, stderr, path)
		}
	}
	// An attached console takes only SSH defaults from the config.
	env := &environment{getenv: os.Getenv}
	if _, _, err := loadAnyConfig(t.Context(), env, path); err != nil {
		t.Errorf("a config without hosts refused where none are probed: %v", err)
	}
}

// TestUnknownHostSuggests: a mistyped --host names the nearest hosts.
func TestUnknownHostSuggests(t *testing.T) {
	firstRunHome(t, "")
	path := filepath.Join(t.TempDir(), "fleet.toml")
	doc := "ssh_config = \"off\"\n[defaults]\nknown_hosts = [\"/dev/null\"]\n[[hosts]]\nname = \"kvm-01\"\naddress = \"10.0.0.1\"\n[[hosts]]\nname = \"kvm-02\"\naddress = \"10.0.0.2\"\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCapture(t, "check", "--config", path, "--host", "kvm-1")
	if code != exitUnknown || !strings.Contains(stderr, `unknown host "kvm-1": did you mean "kvm-01"?`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
