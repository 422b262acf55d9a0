package main

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestValidateWebConfig: a serve.web_config file that does not exist or is
// not a usable exporter-toolkit web config is a config problem at the
// key's file:line:col (validate exits 3, nothing starts), and a good one
// passes.
func TestValidateWebConfig(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	const inventory = `[defaults]
known_hosts = ["DIR/kh"]
identity_files = ["DIR/id"]

[[hosts]]
name = "kvm-01"
address = "127.0.0.1"

[serve]
web_config = "DIR/WEB"
`
	tests := []struct {
		name, web string // web: the file's body; "" leaves it missing
		want      []string
	}{
		{name: "missing", want: []string{"hv.toml:10:14", "serve.web_config", "does not exist"}},
		{name: "not YAML", web: "basic_auth_users: [\n", want: []string{"hv.toml:10:14", "not a usable web config"}},
		{name: "unknown key", web: "tls_server_cfg:\n  cert_file: c.pem\n", want: []string{"hv.toml:10:14", "tls_server_cfg"}},
		{name: "password not a bcrypt hash", web: "basic_auth_users:\n  prom: plain\n", want: []string{"hv.toml:10:14", "bcrypt"}},
		{name: "TLS files missing", web: "tls_server_config:\n  cert_file: none.pem\n  key_file: none.key\n", want: []string{"hv.toml:10:14", "none.pem"}},
		{name: "valid", web: "basic_auth_users:\n  prom: " + string(hash) + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"hv.toml": strings.ReplaceAll(inventory, "WEB", "web.yml"), "kh": "", "id": "", "ssh_config": ""}
			if tc.web != "" {
				files["web.yml"] = tc.web
			}
			dir := writeFiles(t, t.TempDir(), files)
			t.Setenv("HVCONSOLE_SSH_CONFIG", filepath.Join(dir, "ssh_config"))
			code, stdout, stderr := runCapture(t, "validate", "--config", filepath.Join(dir, "hv.toml"))
			if tc.want == nil {
				if code != exitOK || !strings.Contains(stdout, "ok, 1 hosts") {
					t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and ok", code, stdout, stderr)
				}
				return
			}
			if code != exitUnknown {
				t.Fatalf("exit %d, stderr %q; want 3", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("stderr shows the password: %q", stderr)
			}
		})
	}
}
