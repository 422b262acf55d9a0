package hosts

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreServe leaves [serve] and [alerting] to the tests in this file.
var ignoreServe = cmpopts.IgnoreFields(Config{}, "Serve", "Alerting")

func TestServeAndAlertingDefaults(t *testing.T) {
	opts := hermetic()
	opts.Getenv = fakeEnv(map[string]string{"HOME": "/home/op", "USER": "op", "XDG_RUNTIME_DIR": "/run/user/1000"})
	cfg, err := LoadWith(writeConfig(t, host1), opts)
	if err != nil {
		t.Fatal(err)
	}
	wantServe := Serve{Listen: "127.0.0.1:9081", Socket: "/run/user/1000/hvconsole/serve.sock", SocketMode: 0o660,
		MaxDomainSeries: 64}
	if diff := cmp.Diff(wantServe, cfg.Serve); diff != "" {
		t.Errorf("serve (-want +got):\n%s", diff)
	}
	wantAlerting := Alerting{ResendInterval: time.Minute, ResolvedRetention: 15 * time.Minute, MinSeverity: "warning"}
	if diff := cmp.Diff(wantAlerting, cfg.Alerting); diff != "" {
		t.Errorf("alerting (-want +got):\n%s", diff)
	}
	if cfg.Alerting.Enabled() {
		t.Error("alerting enabled with no sinks")
	}
	opts.Getenv = fakeEnv(map[string]string{"HOME": "/home/op"})
	if cfg, err = LoadWith(writeConfig(t, host1), opts); err != nil || cfg.Serve.Socket != "/run/hvconsole/serve.sock" {
		t.Errorf("without XDG_RUNTIME_DIR: socket %q, %v; want /run/hvconsole/serve.sock", cfg.Serve.Socket, err)
	}
}

func TestServeAndAlertingValues(t *testing.T) {
	dir := t.TempDir()
	doc := host1 + `[serve]
listen = "[::1]:9081"
socket = "` + filepath.Join(dir, "new", "s.sock") + `"
socket_mode = "0600"
site = "dc1"
max_domain_series = 0
[alerting]
alertmanagers = ["http://127.0.0.1:9093", "https://am2.example:9093/prefix"]
webhooks = ["https://hooks.example/x"]
resend_interval = "30s"
resolved_retention = "5m"
min_severity = "critical"
alert_unknown = true
runbook_url = "https://wiki.example/{{.AlertName}}?host={{.Host}}&check={{.Check}}"
external_labels = { region = "eu", team = "infra" }
`
	cfg, err := LoadWith(writeConfig(t, doc), hermetic())
	if err != nil {
		t.Fatal(err)
	}
	want := Alerting{
		Alertmanagers: []string{"http://127.0.0.1:9093", "https://am2.example:9093/prefix"},
		Webhooks:      []string{"https://hooks.example/x"}, ResendInterval: 30 * time.Second,
		ResolvedRetention: 5 * time.Minute, MinSeverity: "critical", AlertUnknown: true,
		RunbookURL:     "https://wiki.example/{{.AlertName}}?host={{.Host}}&check={{.Check}}",
		ExternalLabels: map[string]string{"region": "eu", "team": "infra"},
	}
	if diff := cmp.Diff(want, cfg.Alerting); diff != "" {
		t.Errorf("alerting (-want +got):\n%s", diff)
	}
	if cfg.Serve.Listen != "[::1]:9081" || cfg.Serve.SocketMode != 0o600 || cfg.Serve.Site != "dc1" || cfg.Serve.MaxDomainSeries != 0 ||
		cfg.Serve.Socket != filepath.Join(dir, "new", "s.sock") {
		t.Errorf("serve = %+v", cfg.Serve)
	}
}

func TestServeAndAlertingProblems(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	doc := host1 + `[serve]
listen = "localhost"
socket = "` + filepath.Join(file, "s.sock") + `"
socket_mode = "0644x"
site = "dc 1"
web_config = "/etc/web.yml"
max_domain_series = 5000
[alerting]
alertmanagers = ["127.0.0.1:9093", "http://"]
webhooks = ["ftp://x/y", "https://user:pw@x/"]
resend_interval = "0s"
resolved_retention = "-1m"
min_severity = "info"
runbook_url = "https://wiki/{{.Nope}}"
external_labels = { host = "x", "1bad" = "y", __x = "z", empty = "", ok = 3 }
`
	opts := hermetic("/etc/web.yml")
	opts.CheckDir = checkDirCreatable
	got := problemsOf(t, doc, opts)
	matchProblems(t, got, []string{
		`5:10 serve.listen | does not parse`,
		`6:10 serve.socket | cannot be created: ` + file + ` is not a directory`,
		`7:15 serve.socket_mode | want octal permission bits`,
		`8:8 serve.site | invalid name "dc 1"`,
		`9:14 serve.web_config | does not exist`,
		`10:21 serve.max_domain_series | 5000 out of range 0-4096`,
		`12:18 alerting.alertmanagers[0] | does not parse`,
		`12:36 alerting.alertmanagers[1] | has no host`,
		`13:13 alerting.webhooks[0] | want an http:// or https:// URL`,
		`13:26 alerting.webhooks[1] | secrets never go in the config`,
		`14:19 alerting.resend_interval | `,
		`15:22 alerting.resolved_retention | `,
		`16:16 alerting.min_severity | unknown severity "info"`,
		`17:15 alerting.runbook_url | runbook_url template`,
		`18:21 alerting.external_labels.host | set by hvconsole itself`,
		`18:33 alerting.external_labels.1bad | invalid label name`,
		`18:47 alerting.external_labels.__x | invalid label name`,
		`18:66 alerting.external_labels.empty | non-empty UTF-8 value`,
		`18:75 alerting.external_labels.ok | want a string, got an integer`,
	})
}

func TestCheckDirCreatable(t *testing.T) {
	dir := t.TempDir()
	if err := checkDirCreatable(filepath.Join(dir, "a", "b")); err != nil {
		t.Errorf("creatable dir: %v", err)
	}
	if err := checkDirCreatable(dir); err != nil {
		t.Errorf("existing dir: %v", err)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 { // root may write anywhere
		if err := checkDirCreatable(filepath.Join(ro, "x")); err == nil {
			t.Error("dir under a read-only parent accepted")
		}
	}
	if err := checkDirCreatable("/dev/null/x"); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Errorf("dir under a file: %v, want not a directory", err)
	}
}
