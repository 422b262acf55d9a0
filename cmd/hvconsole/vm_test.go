package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/probes/actions"
)

func TestConfirmVM(t *testing.T) {
	kvm := hosts.Host{Name: "kvm-01", Address: "10.0.0.1", LibvirtURI: "qemu:///system"}
	hv := hosts.Host{Name: "hv-01", Address: "10.0.0.2", Hypervisor: hosts.KindHyperV}
	for _, tc := range []struct {
		name   string
		h      hosts.Host
		op     string
		vms    []string
		answer string
		ok     bool
		shows  string
	}{
		{"start yes", kvm, remote.VMStart, []string{"web"}, "yes\n", true, `libvirt DomainCreate("web") on qemu:///system`},
		{"start no", kvm, remote.VMStart, []string{"web"}, "y\n", false, "Type yes"},
		{"destroy asks for the names", kvm, remote.VMDestroy, []string{"web", "db"}, "web db\n", true, "Type the name(s) (web db)"},
		{"destroy yes is not enough", kvm, remote.VMDestroy, []string{"web"}, "yes\n", false, "forces the VM(s) off"},
		{"Hyper-V shows the script", hv, remote.VMResume, []string{"app"}, "yes\n", true, "Resume-VM -VM $v[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w strings.Builder
			err := confirmVM(strings.NewReader(tc.answer), &w, tc.h, tc.op, tc.vms)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, actions.ErrCancelled)) {
				t.Errorf("err %v, want ok=%v", err, tc.ok)
			}
			if !strings.Contains(w.String(), tc.shows) {
				t.Errorf("plan %q lacks %q", w.String(), tc.shows)
			}
		})
	}
	if err := confirmVM(strings.NewReader("yes\n"), &strings.Builder{}, kvm, remote.VMStart, []string{"a'b"}); err == nil || errors.Is(err, actions.ErrCancelled) {
		t.Errorf("a name hvconsole does not pass was offered: %v", err)
	}
}

func TestVMUsage(t *testing.T) {
	for _, args := range [][]string{{"vm"}, {"vm", "reboot", "--host", "a", "--vm", "b"}, {"vm", "start", "--host", "a"}, {"vm", "start", "--vm", "b"}} {
		if code, _, stderr := runCapture(t, args...); code != exitUnknown || stderr == "" {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}

// Lab host 46 (VM actions; the test driver keeps each connection's changes
// to itself, so the action tests of probes/actions on it cannot interfere).
const labVMHost = 46

// TestVMCommandLab runs `hvconsole vm` against the lab's libvirtd: a
// start verified running (exit 0), a start libvirt refuses (exit 2), a
// destroy not in vm_actions and any action in read-only mode refused
// (exit 3), no terminal without --yes refused; every step audited and
// journaled.
func TestVMCommandLab(t *testing.T) {
	lab := labtest.Require(t)
	cfgPath := labConfig(t, lab, lab.KnownHosts, []int{labVMHost}, nil)
	cfg, err := hosts.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	name := lab.Host(labVMHost).Name
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"start", "--vm", "legacy-1", "--yes"}, exitOK, "start of VM legacy-1: running in"},
		{[]string{"start", "--vm", "web-1", "--yes"}, exitCrit, "start of VM web-1 failed"},
		{[]string{"resume", "--vm", "batch-1", "--vm", "spare-1", "--yes"}, exitCrit, "resume of VM batch-1: running in"},
		{[]string{"destroy", "--vm", "web-1", "--yes"}, exitUnknown, "not in the host's vm_actions"},
		{[]string{"start", "--vm", "legacy-1", "--yes", "--read-only"}, exitUnknown, "read-only"},
		{[]string{"start", "--vm", "legacy-1"}, exitUnknown, "no terminal"},
	} {
		code, out, stderr := runCapture(t, append([]string{"vm", tc.args[0], "--config", cfgPath, "--host", name}, tc.args[1:]...)...)
		if code != tc.code || !strings.Contains(out+stderr, tc.out) {
			t.Errorf("vm %v: exit %d, %s%s; want %d and %q", tc.args, code, out, stderr, tc.code, tc.out)
		}
	}
	recs := readAuditFile(t, cfg.AuditLog)
	for _, want := range [][3]string{
		{"vm-start", actions.PhaseOutcome, "ok"}, {"vm-start", actions.PhaseOutcome, "failed"},
		{"vm-resume", actions.PhaseOutcome, "ok"}, {"vm-resume", actions.PhaseOutcome, "failed"},
		{"vm-destroy", actions.PhaseRefused, "refused"},
	} {
		found := false
		for _, r := range recs {
			found = found || (r.Action == want[0] && r.Phase == want[1] && r.Outcome == want[2])
		}
		if !found {
			t.Errorf("no audit record %v in %+v", want, recs)
		}
	}
	d, err := incident.Load(filepath.Join(filepath.Dir(cfg.AuditLog), "events.jsonl"), incident.DefaultKeep)
	if err != nil || len(d.Records) != len(recs) {
		t.Errorf("journal: %d records (%v), audit: %d", len(d.Records), err, len(recs))
	}
}
