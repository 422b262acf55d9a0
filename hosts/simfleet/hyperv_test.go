package simfleet

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// newHyperVTestHost is newTestHost as a Hyper-V host.
func newHyperVTestHost(t *testing.T) *Host {
	t.Helper()
	h := newTestHost(t, 3)
	h.hv = newHVWorld(3, 0, time.Now())
	return h
}

func TestHyperVAnswersOnlyOurScripts(t *testing.T) {
	h := newHyperVTestHost(t)
	res := must(t)(remote.HyperVResourcesScript(nil))
	resPaths := must(t)(remote.HyperVResourcesScript([]string{`D:\VMs`, `E:\Hyper-V`}))
	bk := must(t)(remote.HyperVBackupsScript(remote.BackupQuery{Path: HyperVBackupGlob, Verify: remote.VerifySHA256, WSB: true}))
	for _, tc := range []struct {
		name, cmd string
		code      int
		out       string // a substring of stdout
	}{
		{"hypervisor", remote.EncodedCommand(remote.HyperVHypervisorScript), 0, `"HypervisorPresent":true`},
		{"vms", remote.EncodedCommand(remote.HyperVVMsScript), 0, `"State":"Running"`},
		{"resources", remote.EncodedCommand(res), 0, `"MemTotalKB":`},
		{"resources with paths", remote.EncodedCommand(resPaths), 0, `"CPUs":`},
		{"backups", remote.EncodedCommand(bk), 0, `"WSB":{`},
		{"journal", remote.EncodedCommand(remote.HyperVJournalScript), 0, "14094 The Virtual Machine Management service started"},
		{"foreign script", remote.EncodedCommand("Remove-Item C:\\ -Recurse"), 1, ""},
		{"script with a tail", remote.EncodedCommand(remote.HyperVVMsScript + ";Stop-Computer"), 1, ""},
		{"linux command", remote.KVMFactsCommand, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run(tc.cmd)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.out) {
				t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			if tc.code == 0 && tc.name != "journal" && !json.Valid([]byte(r.stdout)) {
				t.Errorf("not one JSON document: %q", r.stdout)
			}
		})
	}
	if r := h.run("systemctl is-active -- 'libvirtd'"); !strings.Contains(r.stderr, "'systemctl' is not recognized") {
		t.Errorf("cmd.exe refusal: %q", r.stderr)
	}
}

func TestHyperVIncidents(t *testing.T) {
	h := newHyperVTestHost(t)
	vms := remote.EncodedCommand(remote.HyperVVMsScript)
	restart := must(t)(remote.HyperVRestartCommand("vmms"))

	h.StopDaemon() // the timeline's daemon incident stops vmms
	if st, _ := h.HyperV(); st.VMMS != svcStopped {
		t.Fatalf("vmms %s after StopDaemon", st.VMMS)
	}
	if r := h.run(vms); !strings.Contains(r.stdout, "Virtual Machine Management service") {
		t.Errorf("Get-VM with vmms stopped: %q", r.stdout)
	}
	if r := h.run(restart); r.code != 0 {
		t.Fatalf("restart: %+v", r)
	}
	if st, _ := h.HyperV(); st.VMMS != svcRunning {
		t.Errorf("vmms %s after Restart-Service", st.VMMS)
	}
	if r := h.run(must(t)(remote.HyperVRestartCommand("spooler"))); r.code != 1 || !strings.Contains(r.stderr, "Cannot find any service") {
		t.Errorf("restart of an unknown service: %+v", r)
	}

	h.SetLaunchTypeOff(true)
	st, _ := h.HyperV()
	if st.HypervisorPresent || st.LaunchType != "Off" || st.VMs[0].State != "Off" {
		t.Errorf("launch type off: %+v", st)
	}
	h.SetLaunchTypeOff(false)
	name := h.hvFirstRunningVM()
	if err := h.CrashVM(name); err != nil {
		t.Fatal(err)
	}
	if r := h.run(vms); !strings.Contains(r.stdout, `"State":"RunningCritical"`) {
		t.Errorf("critical VM not reported: %q", r.stdout)
	}
	h.restoreVM(name)
	if err := h.SetHyperVVMState("nope", "Off"); !errors.Is(err, ErrNoVM) {
		t.Errorf("unknown VM: %v", err)
	}
}

func TestHyperVFleetConfigAndChannel(t *testing.T) {
	f := startFleet(t, Options{Hosts: 3, HyperV: 1, Quiet: true})
	cfg, err := hosts.Load(f.ConfigPath())
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	var kinds []string
	for _, h := range cfg.Hosts {
		kinds = append(kinds, h.Hypervisor)
	}
	if strings.Join(kinds, ",") != "libvirt,libvirt,hyperv" {
		t.Fatalf("kinds %v", kinds)
	}
	hv := cfg.Hosts[2]
	if !hv.Allowed("vmms") || hv.Allowed("libvirtd") || hv.Backups[0].Path != HyperVBackupGlob {
		t.Errorf("hyperv host %+v", hv)
	}
	c := mustDial(t, f, f.Hosts()[2])
	if _, err := c.Dial("unix", DefaultLibvirtSocket); err == nil {
		t.Error("the libvirt channel opened on a Hyper-V host")
	}
	if _, err := Start(t.Context(), Options{Hosts: 2, HyperV: 3}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("more Hyper-V hosts than hosts: %v", err)
	}
}
