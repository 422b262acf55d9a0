package hosts

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExampleConfigLoads(t *testing.T) {
	var checked []string
	opts := hermetic()
	opts.CheckFile = func(p string) error {
		checked = append(checked, p)
		return nil
	}
	cfg, err := LoadWith("../config.example.toml", opts)
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if len(cfg.Hosts) < 3 {
		t.Fatalf("example has %d hosts, want a realistic fleet", len(cfg.Hosts))
	}
	kvm1 := hostByName(t, cfg, "kvm-01")
	if len(kvm1.Jump) != 1 || kvm1.Jump[0].Name != "kvm-bastion" {
		t.Errorf("kvm-01 jump = %+v, want via kvm-bastion", kvm1.Jump)
	}
	if !kvm1.HasCheck(CheckBackups) || len(kvm1.Backups) == 0 {
		t.Errorf("kvm-01 should check inherited backups: %+v", kvm1.Backups)
	}
	slices.Sort(checked)
	want := []string{"/home/op/.config/hvconsole/web.yml", "/home/op/.ssh/id_ed25519", "/home/op/.ssh/known_hosts"}
	if diff := cmp.Diff(want, slices.Compact(checked)); diff != "" {
		t.Errorf("files checked (-want +got):\n%s", diff)
	}
}

// The default Load really checks files: the example's key and known_hosts
// do not exist under an empty home.
func TestExampleConfigChecksFilesByDefault(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	_, err := Load("../config.example.toml")
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v, want a *ConfigError", err)
	}
	var keys []string
	for _, p := range ce.Problems {
		keys = append(keys, p.KeyPath)
	}
	want := []string{"defaults.identity_files[0]", "defaults.known_hosts[0]", "serve.web_config"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n%v", diff, err)
	}
	for _, dir := range []string{".ssh", ".config/hvconsole"} {
		if err := os.MkdirAll(filepath.Join(home, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{".ssh/id_ed25519", ".ssh/known_hosts", ".config/hvconsole/web.yml"} {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load("../config.example.toml"); err != nil {
		t.Errorf("Load with the files present: %v", err)
	}
}

// Every key the loader accepts is documented in the example: the line above
// its first use is a comment, or a comment line starts with the key (the
// list of backup spec keys).
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	keys := tomlKeys(reflect.TypeFor[rawConfig]())
	slices.Sort(keys)
	for _, key := range slices.Compact(keys) {
		use := regexp.MustCompile(`^(\[\[|\[)?([a-z]+\.)?` + key + `(\]\]|\])?( =|$)`)
		listed := regexp.MustCompile(`(?m)^#\s+` + key + `\s`)
		i := slices.IndexFunc(lines, use.MatchString)
		switch {
		case i < 0:
			t.Errorf("config.example.toml never sets %q", key)
		case i > 0 && strings.HasPrefix(lines[i-1], "#"), listed.Match(data):
		default:
			t.Errorf("config.example.toml line %d: key %q has no comment", i+1, key)
		}
	}
}

// tomlKeys lists the toml tags of a raw struct and the structs inside it.
func tomlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if !f.Anonymous {
			keys = append(keys, strings.Split(f.Tag.Get("toml"), ",")[0])
		}
		if ft.Kind() == reflect.Struct {
			keys = append(keys, tomlKeys(ft)...)
		}
	}
	return keys
}
