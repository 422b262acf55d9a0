package probes

import (
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
)

// Each kind gives its own action commands and skips the checks that mean
// nothing on it; an unset kind is libvirt.
func TestKinds(t *testing.T) {
	tests := []struct {
		kind        string
		sudo        bool
		restartHas  string
		journalHas  string
		skipsKVM    bool
		skipsStorge bool
	}{
		{"", false, "systemctl restart -- 'libvirtd'", "journalctl -u 'libvirtd'", false, false},
		{hosts.KindLibvirt, true, "sudo -n systemctl restart -- 'libvirtd'", "journalctl -u 'libvirtd'", false, false},
		{hosts.KindHyperV, false, "powershell.exe -NoProfile -NonInteractive -EncodedCommand ", "-EncodedCommand ", true, true},
	}
	for _, tc := range tests {
		t.Run("kind "+tc.kind, func(t *testing.T) {
			h := hosts.Host{Name: "h", Hypervisor: tc.kind, Sudo: tc.sudo}
			k := KindOf(h)
			if cmd, err := k.RestartCommand(h, "libvirtd"); err != nil || !strings.Contains(cmd, tc.restartHas) {
				t.Errorf("restart = %q, %v; want %q", cmd, err, tc.restartHas)
			}
			if cmd, err := k.JournalCommand(h, "libvirtd", 200); err != nil || !strings.Contains(cmd, tc.journalHas) {
				t.Errorf("journal = %q, %v; want %q", cmd, err, tc.journalHas)
			}
			if _, err := k.RestartCommand(h, "libvirtd;reboot"); err == nil {
				t.Error("an invalid unit was accepted")
			}
			if k.Applies(hosts.CheckKVM) == tc.skipsKVM || k.Applies(hosts.CheckStorage) == tc.skipsStorge {
				t.Errorf("applies kvm=%v storage=%v", k.Applies(hosts.CheckKVM), k.Applies(hosts.CheckStorage))
			}
			if !k.Applies(hosts.CheckHypervisor) || !k.Applies(hosts.CheckVMs) {
				t.Error("the hypervisor and vms checks must apply to every kind")
			}
		})
	}
}
