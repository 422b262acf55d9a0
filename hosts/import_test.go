package hosts

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/google/go-cmp/cmp"
)

// importedLoads writes hs as an inventory and loads it with ssh_config
// parsed from /dev/null (nothing run) and every file readable: an import
// must validate as written.
func importedLoads(t *testing.T, hs []ImportedHost) (string, *Config) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteInventory(&b, []string{"test header", "two\x1b[2Jlines\nhere"}, hs); err != nil {
		t.Fatal(err)
	}
	getenv := fakeEnv(map[string]string{"HOME": "/home/op", "USER": "op"})
	opts := LoadOptions{Getenv: getenv, CheckFile: func(string) error { return nil },
		SSH: NewSSHResolver(SSHResolverOptions{File: "/dev/null"}, getenv)}
	cfg, err := LoadWith(writeConfig(t, "ssh_config = \"parse\"\n"+b.String()), opts)
	if err != nil {
		t.Fatalf("imported inventory does not validate: %v\n%s", err, b.String())
	}
	return b.String(), cfg
}

func loadAnsibleFixture(t *testing.T) *AnsibleInventory {
	t.Helper()
	f, err := os.Open("testdata/ansible-export.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inv, err := DecodeAnsible(f)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestImportAnsible is the golden output of the mapping: addresses, ports,
// users and keys from host and group vars in Ansible's precedence, groups
// as tags, the Windows host as hyperv, every unmapped variable a comment,
// and no secret value anywhere.
// Regenerate with: go test ./hosts -run TestImportAnsible -update
func TestImportAnsible(t *testing.T) {
	hs, err := loadAnsibleFixture(t).Import(AnsibleImportOptions{GroupTags: true})
	if err != nil {
		t.Fatal(err)
	}
	out, cfg := importedLoads(t, hs)
	golden.RequireEqual(t, []byte(out))
	for _, secret := range []string{"hunter2", "ANSIBLE_VAULT", "3131"} {
		if strings.Contains(out, secret) {
			t.Errorf("output holds the secret %q", secret)
		}
	}
	kvm1 := hostByName(t, cfg, "kvm-01")
	if kvm1.User != "ops" || kvm1.Port != 2222 || !kvm1.Sudo || kvm1.IdentityFiles[0] != "/home/op/.ssh/ops" {
		t.Errorf("kvm-01 = %+v", kvm1)
	}
	if hv := hostByName(t, cfg, "hv-01"); hv.Hypervisor != KindHyperV || hv.User != "Administrator" {
		t.Errorf("hv-01 = %s as %s, want hyperv as Administrator (group var beats all's)", hv.Hypervisor, hv.User)
	}
}

func TestImportAnsibleLimit(t *testing.T) {
	inv := loadAnsibleFixture(t)
	names := func(pattern string) []string {
		hs, err := inv.Import(AnsibleImportOptions{Limit: pattern})
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return out
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"kvm", []string{"kvm-01", "kvm-02"}},
		{"dc1:!kvm-02", []string{"kvm-01", "hv-01"}},
		{"all:&windows", []string{"hv-01"}},
		{"kvm-0*,edge*", []string{"edge.example.net", "kvm-01", "kvm-02"}},
		{"nothing", []string{`error: --limit "nothing" matches no host`}},
		{"~kvm.*", []string{`error: --limit "~kvm.*": regular expressions (~) are not supported; use globs`}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, names(tc.pattern)); diff != "" {
			t.Errorf("--limit %s (-want +got):\n%s", tc.pattern, diff)
		}
	}
}

func TestDecodeAnsibleRefusesOtherJSON(t *testing.T) {
	for _, doc := range []string{`[]`, `{"kvm": {"hosts": ["a"]}}`, `{"all": {"hosts": "a"}}`, `{"all":{},"_meta":{"hostvars":[]}}`, `not json`} {
		if _, err := DecodeAnsible(strings.NewReader(doc)); err == nil {
			t.Errorf("DecodeAnsible(%s) accepted it", doc)
		}
	}
}

// FuzzDecodeAnsible feeds arbitrary JSON to the decoder and the mapping:
// whatever it accepts, the inventory written from it validates as written.
func FuzzDecodeAnsible(f *testing.F) {
	seed, err := os.ReadFile("testdata/ansible-export.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"all":{"children":["a"]},"a":{"children":["all"],"hosts":["x","x"]},"_meta":{"hostvars":{"x":{"ansible_host":"::1","ansible_port":1e9}}}}`))
	f.Add([]byte(`{"all":{"hosts":["-x","é\u0000"," ","x\"y"]},"_meta":{"hostvars":{"-x":{"ansible_user":"a\nb","ansible_ssh_private_key_file":"/k\u001b"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := DecodeAnsible(bytes.NewReader(data))
		if err != nil {
			return
		}
		hs, err := inv.Import(AnsibleImportOptions{GroupTags: len(data)%2 == 0})
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		importedLoads(t, hs)
	})
}

// TestImportSSHAliases lists concrete aliases through Include, skipping
// patterns, Match blocks and names hvconsole cannot use.
func TestImportSSHAliases(t *testing.T) {
	file, home := sshFixture(t)
	a, err := ReadSSHAliases(file, home)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kvm-03", "kvm-01", "kvm-02", "bastion", "outer", "inner"}
	if diff := cmp.Diff(want, a.Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	if len(a.Skipped) != 3 || !strings.HasPrefix(a.Skipped[0], "Match host 10.9.*") {
		t.Errorf("skipped = %q, want the three Match blocks", a.Skipped)
	}
	hs := ImportSSHAliases(a, "kvm-*,!kvm-02")
	if len(hs) != 2 || hs[0].Name != "kvm-03" || hs[1].Name != "kvm-01" {
		t.Errorf("--match kvm-*,!kvm-02 = %+v", hs)
	}
	importedLoads(t, ImportSSHAliases(a, ""))
}

// A comment written into the generated inventory keeps nothing a terminal
// or an editor would act on or hide: controls, bidi overrides and
// invisible characters become '?', each line its own comment.
func TestWriteComment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain var = 1", "# plain var = 1\n"},
		{"a\x1b[31mred", "# a?[31mred\n"},
		{"admin\u202egnp.exe", "# admin?gnp.exe\n"},
		{"zero\u200bwidth\ttab", "# zero?width?tab\n"},
		{"one\ntwo", "# one\n# two\n"},
		{"", "#\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeComment(&b, tt.in)
		if b.String() != tt.want {
			t.Errorf("writeComment(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}
