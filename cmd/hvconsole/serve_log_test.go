package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// serve logs logfmt by default and JSON with --log-format json, one
// record a line; any other format is a usage error before anything starts.
func TestServeLogFormats(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"logfmt", `msg="status change" host=kvm-01 from=OK to=CRIT`},
		{"json", `"msg":"status change","host":"kvm-01","from":"OK","to":"CRIT"`},
	} {
		var buf bytes.Buffer
		log, err := newLogger(&buf, tc.format)
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		log.Info("status change", "host", "kvm-01", "from", "OK", "to", "CRIT")
		log.Info("reloaded", "hosts", 2)
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%s log %q, want two lines, the first with %s", tc.format, buf.String(), tc.want)
		}
		if tc.format == "json" {
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Errorf("json log line %q does not parse", l)
				}
			}
		}
	}
	code, _, stderr := runCapture(t, "serve", "--log-format", "yaml")
	if code != exitUnknown || !strings.Contains(stderr, "want logfmt or json") {
		t.Errorf("--log-format yaml: exit %d, %q; want 3 and the formats", code, stderr)
	}
}

// A reload that changes the SSH pool's settings (keepalive_interval,
// tcp_keepalive, max_handshakes) says in serve's log that they take effect
// at the next start, at every reload until then; one that changes only
// hosts, or that does not load, says nothing of them.
func TestReloadWarnsOfPoolSettings(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	doc := func(top, host string) string {
		return fmt.Sprintf("ssh_config = \"off\"\naudit_log = %q\n%s[defaults]\nknown_hosts = [\"/dev/null\"]\nidentity_files = [%q]\n"+
			"[[hosts]]\nname = %q\naddress = \"127.0.0.1\"\n", filepath.Join(dir, "audit.jsonl"), top, key, host)
	}
	path := filepath.Join(dir, "fleet.toml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(doc("keepalive_interval = \"2s\"\n", "kvm-01"))
	env := &environment{getenv: func(string) string { return "" }}
	opened, err := loadConfigFile(t.Context(), env, path)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log, _ := newLogger(&logs, "logfmt")
	reload := serveReload(t.Context(), env, path, log, opened)
	const warned = `msg="reload: SSH connection setting changes take effect at the next start"`
	for _, tc := range []struct {
		name, file, want string
	}{
		{"hosts alone", doc("keepalive_interval = \"2s\"\n", "kvm-02"), ""},
		{"keepalive_interval", doc("keepalive_interval = \"5s\"\n", "kvm-01"), warned + " keys=keepalive_interval"},
		{"still not in effect", doc("keepalive_interval = \"5s\"\n", "kvm-02"), warned + " keys=keepalive_interval"},
		{"tcp_keepalive and max_handshakes", doc("keepalive_interval = \"2s\"\ntcp_keepalive = \"0s\"\nmax_handshakes = 3\n", "kvm-01"),
			warned + " keys=tcp_keepalive,max_handshakes"},
		{"back to the running values", doc("keepalive_interval = \"2s\"\n", "kvm-01"), ""},
		{"a file that does not load", doc("tcp_keepalive = \"soon\"\n", "kvm-01"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			write(tc.file)
			_, err := reload()
			if (err != nil) != strings.Contains(tc.name, "not load") {
				t.Fatalf("reload: %v", err)
			}
			if got := strings.TrimSpace(logs.String()); !strings.HasSuffix(got, tc.want) || (tc.want == "") != (got == "") {
				t.Errorf("log %q, want %q", got, tc.want)
			}
		})
	}
}
