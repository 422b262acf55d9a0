package probes

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hvRemote is a Windows host that answers an exec by exact script: the
// command must be the EncodedCommand of a script it knows, so a test fails
// if a builder changes shape. hang makes every exec wait for its context.
// conn is the Conn that reaches it.
type hvRemote struct {
	answers map[string]ExecResult
	hang    bool
	cmds    []string
}

func (r *hvRemote) conn() Conn {
	return &stubConn{ExecFn: r.exec, Handshake: time.Millisecond, Trip: time.Millisecond}
}

func (r *hvRemote) exec(ctx context.Context, cmd string) (ExecResult, error) {
	r.cmds = append(r.cmds, cmd)
	if r.hang {
		<-ctx.Done()
		return ExecResult{}, ctx.Err()
	}
	script, ok := remote.DecodeEncodedCommand(cmd)
	if !ok {
		return ExecResult{Stderr: []byte("not an encoded command"), ExitCode: 1}, nil
	}
	if res, ok := r.answers[script]; ok {
		return res, nil
	}
	return ExecResult{Stderr: []byte("unknown script"), ExitCode: 1}, nil
}

func hvHost() hosts.Host {
	return hosts.Host{Name: "hv-01", Hypervisor: hosts.KindHyperV, ProbeTimeout: 2 * time.Second,
		Checks:  []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs, hosts.CheckKVM, hosts.CheckResources, hosts.CheckBackups},
		Backups: []hosts.Backup{{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 26 * time.Hour, Verify: remote.VerifySHA256}}}
}

func hvAnswers(t testing.TB, h hosts.Host, files map[string]string) map[string]ExecResult {
	t.Helper()
	res, err := remote.HyperVResourcesScript(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ExecResult{}
	for key, file := range files {
		script := map[string]string{"hypervisor": remote.HyperVHypervisorScript, "vms": remote.HyperVVMsScript, "resources": res}[key]
		if script == "" {
			b, err := remote.HyperVBackupsScript(h.Backups[0].Query())
			if err != nil {
				t.Fatal(err)
			}
			script = b
		}
		out[script] = ExecResult{Stdout: []byte(hvFixture(t, file))}
	}
	return out
}

func TestHyperVProbeFake(t *testing.T) {
	h := hvHost()
	r := &hvRemote{answers: hvAnswers(t, h, map[string]string{
		"hypervisor": "hypervisor_healthy_ps7.json", "vms": "vms_ps51.json",
		"resources": "resources_ps7.json", "backups": "backups_ps7.json",
	})}
	rep := ProbeHyperV(t.Context(), r.conn(), h, hvNow)
	var got []string
	for _, c := range rep.Checks {
		got = append(got, c.Check+"="+c.Status.String())
	}
	want := []string{"hypervisor=OK", "vms=WARN", "resources=WARN", "backups=OK"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if rep.Version != "Hyper-V / Microsoft Windows Server 2022 Datacenter 10.0.20348" || len(rep.VMs) != 2 {
		t.Errorf("version %q, VMs %+v", rep.Version, rep.VMs)
	}
	if rep.Resources == nil || len(rep.Resources.Disks) != 2 || len(rep.Backups) != 1 || rep.Backups[0].Verify != BackupVerifyOK {
		t.Errorf("resources %+v, backups %+v", rep.Resources, rep.Backups)
	}
	if len(r.cmds) != 4 {
		t.Errorf("%d execs, want one per script", len(r.cmds))
	}
	checks, vms, version := hyperVProbe(t.Context(), r.conn(), h, hvNow)
	if len(checks) != 4 || len(vms) != 2 || version != rep.Version {
		t.Errorf("HyperVProbe = %d checks, %d VMs, %q", len(checks), len(vms), version)
	}
}

func TestHyperVProbeFailures(t *testing.T) {
	h := hvHost()
	h.Checks = []string{hosts.CheckHypervisor, hosts.CheckVMs}
	h.ProbeTimeout = 50 * time.Millisecond
	for _, tc := range []struct {
		name string
		r    *hvRemote
		want string
	}{
		{"no powershell", &hvRemote{answers: map[string]ExecResult{}}, "powershell command failed: exit 1: unknown script"},
		{"hung", &hvRemote{hang: true}, "no answer before the deadline"},
		{"garbage", &hvRemote{answers: map[string]ExecResult{
			remote.HyperVHypervisorScript: {Stdout: []byte("{\"HypervisorPresent\":\"maybe\"}")},
			remote.HyperVVMsScript:        {Stdout: []byte("Get-VM : The term 'Get-VM' is not recognized\r\n")},
		}}, "unavailable: unparseable output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := ProbeHyperV(t.Context(), tc.r.conn(), h, hvNow)
			if len(rep.Checks) != 2 {
				t.Fatalf("checks %+v", rep.Checks)
			}
			for _, c := range rep.Checks {
				hvWantResult(t, c, UNKNOWN, tc.want)
				if c.Err == "" {
					t.Errorf("%s: no error text", c.Check)
				}
			}
		})
	}
}

func TestHyperVBackupsFixtures(t *testing.T) {
	for _, tc := range []struct {
		file   string
		spec   hosts.Backup
		st     Status
		wants  []string
		verify []string
	}{
		{"backups_ps7.json", hosts.Backup{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 26 * time.Hour, Verify: remote.VerifySHA256},
			OK, []string{"1 backup OK"}, []string{BackupVerifyOK}},
		{"backups_ps51.json", hosts.Backup{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 26 * time.Hour, Verify: remote.VerifySHA256},
			CRIT, []string{"no sha256 sidecar"}, []string{BackupVerifyNoSidecar}},
		{"backups_ps7.json", hosts.Backup{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 4 * time.Hour, MinCount: 3},
			CRIT, []string{"5h59m old > max 4h", "only 2 files < min 3"}, []string{backupVerifySkipped}},
		{"backups_missing_ps7.json", hosts.Backup{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 26 * time.Hour},
			CRIT, []string{`no file matches D:\Backups\*.vhdx`}, []string{backupVerifySkipped}},
		{"backups_wsb_ps7.json", hosts.Backup{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 26 * time.Hour, WSB: true},
			CRIT, []string{"vhdx (wsb): last Windows Server Backup failed (HRESULT 0x80070070) There is not enough space on the disk."}, []string{backupVerifySkipped, backupVerifySkipped}},
		{"backups_wsb_ps51.json", hosts.Backup{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 8 * time.Hour, WSB: true},
			WARN, []string{"vhdx (wsb): last success 6h59m old > 80% of max 8h"}, []string{backupVerifySkipped, backupVerifySkipped}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			h := hvHost()
			h.Backups = []hosts.Backup{tc.spec}
			r := &hvRemote{answers: hvAnswers(t, h, map[string]string{"backups": tc.file})}
			res, brs := checkHyperVBackups(t.Context(), r.conn(), h, hvNow)
			hvWantResult(t, res, tc.st, tc.wants...)
			var verify []string
			for _, b := range brs {
				verify = append(verify, b.Verify)
			}
			if diff := cmp.Diff(tc.verify, verify); diff != "" {
				t.Errorf("verify words (-want +got):\n%s", diff)
			}
		})
	}
}

// hyperVProbe is ProbeHyperV's checks, VMs and version.
func hyperVProbe(ctx context.Context, r Conn, h hosts.Host, now time.Time) (checks []Result, vms []VM, version string) {
	rep := ProbeHyperV(ctx, r, h, now)
	return rep.Checks, rep.VMs, rep.Version
}

// BenchmarkHyperVProbe is one steady Hyper-V probe (hypervisor, VMs,
// resources, backups) against a host that answers by command, without
// decoding it: the allocations are the probe's own.
func BenchmarkHyperVProbe(b *testing.B) {
	h := hvHost()
	byCmd := map[string]ExecResult{}
	for script, res := range hvAnswers(b, h, map[string]string{
		"hypervisor": "hypervisor_healthy_ps7.json", "vms": "vms_ps51.json",
		"resources": "resources_ps7.json", "backups": "backups_ps7.json",
	}) {
		byCmd[remote.EncodedCommand(script)] = res
	}
	c := &stubConn{ExecFn: func(_ context.Context, cmd string) (ExecResult, error) {
		if res, ok := byCmd[cmd]; ok {
			return res, nil
		}
		return ExecResult{Stderr: []byte("unknown command"), ExitCode: 1}, nil
	}}
	b.ReportAllocs()
	for b.Loop() {
		rep := ProbeHyperV(b.Context(), c, h, hvNow)
		if len(rep.Checks) != 4 || rep.Checks[0].Status != OK {
			b.Fatalf("checks %v", rep.Checks)
		}
	}
}

// psCommand encodes as remote.EncodedCommand, keeps each distinct script's
// command, and keeps no more than maxPSCommands of them.
func TestPSCommandCache(t *testing.T) {
	psCommands.mu.Lock()
	kept := psCommands.m
	psCommands.m = map[string]string{}
	psCommands.mu.Unlock()
	t.Cleanup(func() { psCommands.mu.Lock(); psCommands.m = kept; psCommands.mu.Unlock() })
	psCommand(remote.HyperVVMsScript)
	if allocs := testing.AllocsPerRun(10, func() { psCommand(remote.HyperVVMsScript) }); allocs != 0 {
		t.Errorf("a kept command allocated %v times, want 0", allocs)
	}
	for i := range maxPSCommands + 10 {
		script := fmt.Sprintf("Get-VM -Name vm%d", i)
		want := remote.EncodedCommand(script)
		if got := psCommand(script); got != want {
			t.Fatalf("psCommand(%q) = %q, want %q", script, got, want)
		}
		if got := psCommand(script); got != want {
			t.Fatalf("second psCommand(%q) = %q, want %q", script, got, want)
		}
	}
	psCommands.mu.RLock()
	n := len(psCommands.m)
	psCommands.mu.RUnlock()
	if n > maxPSCommands {
		t.Errorf("%d commands kept, bound %d", n, maxPSCommands)
	}
}
