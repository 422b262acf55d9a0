package actions

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
)

// Lab hosts 46 (libvirt, the default test-driver world) and 47 (the
// Hyper-V stand-in) belong to the VM action tests.
const (
	vmLabHost       = 46
	vmLabHyperVHost = 47
)

// openVMLab returns host n from the lab inventory (all three VM actions
// allowed) and a runner over real SSH whose prober and VM operator is one
// scheduler, as in the console.
func openVMLab(t *testing.T, n int, readOnly bool) (hosts.Host, *Runner, *probes.Scheduler, string) {
	t.Helper()
	l := labtest.Require(t)
	cfg, err := hosts.Load(l.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cfg.Hosts, func(h hosts.Host) bool { return h.Name == l.Host(n).Name })
	if i < 0 {
		t.Fatalf("the lab has no host %d: start it with lab/lab.sh up %d", n, n)
	}
	h := cfg.Hosts[i]
	h.VMActions = remote.VMOps
	cfg.Hosts = []hosts.Host{h}
	pool := sshx.NewPool(sshx.Options{KeepaliveInterval: time.Second})
	sched := probes.NewScheduler(cfg, probes.NewSSHTransport(pool), probes.SchedulerOptions{})
	t.Cleanup(func() { sched.Close(); pool.Close() })
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	audit, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	r := New(Options{ReadOnly: readOnly, Audit: audit, Transport: probes.NewSSHTransport(pool), Prober: sched, VMs: sched,
		VerifyEvery: 200 * time.Millisecond, VerifyTimeout: 20 * time.Second})
	return h, r, sched, path
}

// TestLabVMActionsLibvirt: start, resume and destroy against the lab's
// libvirtd (test driver) through the scheduler's own libvirt connection,
// each verified by a probe and audited with intent and outcome; a start of
// a running VM is refused by libvirt and reported failed.
func TestLabVMActionsLibvirt(t *testing.T) {
	h, r, sched, path := openVMLab(t, vmLabHost, false)
	before := sched.Round(t.Context(), []hosts.Host{h})[0]
	state := func(rep probes.HostReport, name string) string {
		for _, v := range rep.VMs {
			if v.Name == name {
				return v.State
			}
		}
		return ""
	}
	if state(before, "legacy-1") != "shutoff" || state(before, "batch-1") != "paused" || state(before, "web-1") != "running" {
		t.Fatalf("the lab world is not the default: %+v", before.VMs)
	}
	for _, tc := range []struct {
		op, vm, outcome, after string
	}{
		{remote.VMStart, "legacy-1", "ok", "running"},
		{remote.VMResume, "batch-1", "ok", "running"},
		{remote.VMDestroy, "web-1", "ok", "shutoff"},
		{remote.VMStart, "db-1", "failed", "running"}, // already running: libvirt says no
		{remote.VMStart, "no-such-vm", "failed", ""},
	} {
		res := r.VM(t.Context(), h, tc.op, []string{tc.vm})[0]
		if res.Outcome() != tc.outcome {
			t.Errorf("%s %s: %s (%s), want %s", tc.op, tc.vm, res.Outcome(), res.Summary(), tc.outcome)
		}
		if got := state(sched.Round(t.Context(), []hosts.Host{h})[0], tc.vm); got != tc.after {
			t.Errorf("%s %s: VM %q afterwards, want %q", tc.op, tc.vm, got, tc.after)
		}
	}
	recs := readAudit(t, path)
	var got []string
	for _, rec := range recs {
		got = append(got, rec.Action+" "+rec.Args[0]+" "+rec.Phase+" "+rec.Outcome)
	}
	want := []string{
		"vm-start legacy-1 intent ", "vm-start legacy-1 outcome ok",
		"vm-resume batch-1 intent ", "vm-resume batch-1 outcome ok",
		"vm-destroy web-1 intent ", "vm-destroy web-1 outcome ok",
		"vm-start db-1 intent ", "vm-start db-1 outcome failed",
		"vm-start no-such-vm intent ", "vm-start no-such-vm outcome failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(recs[0].Command, `libvirt DomainCreate("legacy-1") on test:///etc/libvirt/node.xml`) {
		t.Errorf("intent command %q", recs[0].Command)
	}
}

// TestLabVMActionsHyperV: the Start-VM, Resume-VM and Stop-VM -TurnOff
// scripts against the lab's powershell.exe stand-in, which recognises them
// byte for byte and changes the scenario's VM list.
func TestLabVMActionsHyperV(t *testing.T) {
	h, r, sched, path := openVMLab(t, vmLabHyperVHost, false)
	labtest.Require(t).HyperV(t, vmLabHyperVHost, labtest.HyperVHealthy)
	h.Hypervisor = hosts.KindHyperV
	for _, tc := range []struct {
		op, vm, outcome string
	}{
		{remote.VMStart, "template-2022", "ok"},
		{remote.VMDestroy, "web01", "ok"},
		{remote.VMResume, "dc01", "failed"}, // running, not paused
		{remote.VMStart, "nope", "failed"},
	} {
		res := r.VM(t.Context(), h, tc.op, []string{tc.vm})[0]
		if res.Outcome() != tc.outcome {
			t.Errorf("%s %s: %s (%s), want %s", tc.op, tc.vm, res.Outcome(), res.Summary(), tc.outcome)
		}
	}
	rep := sched.Round(t.Context(), []hosts.Host{h})[0]
	for _, v := range rep.VMs {
		if want := map[string]string{"template-2022": "running", "web01": "shutoff", "dc01": "running"}[v.Name]; v.State != want {
			t.Errorf("VM %s is %s, want %s", v.Name, v.State, want)
		}
	}
	if n := len(readAudit(t, path)); n != 8 {
		t.Errorf("%d audit records, want 8", n)
	}
}

// TestLabVMActionsReadOnly: read-only mode refuses in the action layer;
// nothing reaches the host.
func TestLabVMActionsReadOnly(t *testing.T) {
	h, r, sched, path := openVMLab(t, vmLabHost, true)
	res := r.VM(t.Context(), h, remote.VMStart, []string{"legacy-1"})[0]
	if res.Outcome() != "failed" || !strings.Contains(res.Summary(), "read-only") {
		t.Fatalf("read-only start: %s", res.Summary())
	}
	for _, v := range sched.Round(t.Context(), []hosts.Host{h})[0].VMs {
		if v.Name == "legacy-1" && v.State != "shutoff" {
			t.Errorf("legacy-1 is %s after a refused start", v.State)
		}
	}
	if recs := readAudit(t, path); len(recs) != 1 || recs[0].Phase != PhaseRefused {
		t.Errorf("audit %+v", recs)
	}
}
