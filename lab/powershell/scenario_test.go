package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/probetest"
)

// standIn is a probes.Conn that runs the stand-in in process on a
// scenario directory: the lab's scenario files meet the real parsers and
// ratings without SSH (the lab tests in cmd/hvconsole add SSH).
func standIn(dir string) probes.Conn {
	return &probetest.Conn{ExecFn: func(ctx context.Context, cmd string) (probes.ExecResult, error) {
		if err := ctx.Err(); err != nil {
			return probes.ExecResult{}, err
		}
		var out, errb bytes.Buffer
		code := run(strings.Fields(cmd)[1:], dir, &out, &errb)
		return probes.ExecResult{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: code}, nil
	}}
}

// hypervHost loads a one-host inventory as the lab tests write it.
func hypervHost(t *testing.T) hosts.Host {
	t.Helper()
	dir := t.TempDir()
	key, kh := filepath.Join(dir, "id"), filepath.Join(dir, "known_hosts")
	for _, f := range []string{key, kh} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := `[defaults]
identity_files = ["` + key + `"]
known_hosts = ["` + kh + `"]
use_agent = false
[[hosts]]
name = "hv-lab"
address = "127.0.0.1"
hypervisor = "hyperv"
services = ["vmms"]
checks = ["ssh", "hypervisor", "vms", "resources", "backups", "security"]
[[hosts.backups]]
name = "vhdx"
path = 'D:\Backups\*.vhdx'
max_age = "26h"
`
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := hosts.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c.Hosts[0]
}

// TestScenarios probes each lab scenario with the real Hyper-V probe and
// checks the statuses the lab tests rely on.
func TestScenarios(t *testing.T) {
	// The healthy scenario's newest backup was written at 02:00 that day.
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	h := hypervHost(t)
	type want struct {
		status probes.Status
		text   string
	}
	tests := []struct {
		scenario string
		checks   map[string]want
	}{
		{"healthy", map[string]want{
			hosts.CheckHypervisor: {probes.OK, "Hyper-V running"},
			hosts.CheckVMs:        {probes.OK, ""},
			hosts.CheckResources:  {probes.OK, "mem"},
			hosts.CheckBackups:    {probes.OK, ""},
			hosts.CheckSecurity:   {probes.OK, "no findings"},
		}},
		{"weak-security", map[string]want{
			hosts.CheckHypervisor: {probes.OK, ""},
			hosts.CheckSecurity:   {probes.WARN, "VM web01 (generation 2) runs without Secure Boot; host: virtualization-based security not running"},
		}},
		{"launch-off", map[string]want{
			hosts.CheckHypervisor: {probes.CRIT, "bcdedit /set hypervisorlaunchtype auto`, then reboot"},
			hosts.CheckVMs:        {probes.WARN, "automatic-start VM off"},
		}},
		{"vmms-stopped", map[string]want{
			hosts.CheckHypervisor: {probes.CRIT, "restart vmms"},
			hosts.CheckVMs:        {probes.UNKNOWN, "VM list unavailable: Hyper-V encountered an error"},
		}},
		{"vm-critical", map[string]want{
			hosts.CheckHypervisor: {probes.OK, ""},
			hosts.CheckVMs:        {probes.CRIT, "1 critical"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			rep := probes.ProbeHyperV(t.Context(), standIn(scenario(t, tc.scenario)), h, now)
			got := map[string]probes.Result{}
			for _, r := range rep.Checks {
				got[r.Check] = r
			}
			for check, w := range tc.checks {
				r, ok := got[check]
				if !ok || r.Status != w.status || !strings.Contains(r.Summary, w.text) {
					t.Errorf("%s: %s %q, want %s naming %q", check, r.Status, r.Summary, w.status, w.text)
				}
			}
		})
	}
}
