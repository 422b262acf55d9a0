package probes

import (
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
)

// Cause is one kind of CRIT or WARN result an operator acts on, with the
// one-line remedy the details view and the alert annotation show. Results
// carry their cause only in words (every summary leads with it), so a
// cause is recognised by the words its producers write.
type Cause struct {
	// Name is the cause's stable key ("libvirtd-inactive"): the
	// runbook_url template's .Cause.
	Name string
	// Check is the check whose results it classifies.
	Check string
	// Remedy is what to do first, in one line.
	Remedy string
	// words are the summary fragments that mark the cause. Causes are
	// tried in catalog order, the more specific and the more severe of a
	// check first, and the first with a fragment in the summary wins.
	words []string
}

// causes are every cause, by check. A producer that writes a new CRIT or
// WARN summary adds its cause here (remedy_test.go feeds every producer's
// words through CauseOf).
var causes = []Cause{
	{"host-key-changed", hosts.CheckSSH, "verify the new fingerprint out of band (console, provisioning record, the host's admin) before anything else, then replace the old line in known_hosts as the summary says (ssh-keygen -R HOST, then add the verified key)", []string{"host key changed"}},
	{"host-key-unknown", hosts.CheckSSH, "compare the fingerprint with one obtained out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host's console), then add the key to known_hosts", []string{"unknown host key"}},
	{"host-key-revoked", hosts.CheckSSH, "the key is in a @revoked line: find out why it was revoked before trusting the host again", []string{"host key revoked"}},
	{"host-cert-refused", hosts.CheckSSH, "check the host certificate's principals, validity and signing CA against the @cert-authority line in known_hosts", []string{"host certificate refused"}},
	{"host-key-weak", hosts.CheckSSH, "enable rsa-sha2-256/512 or an ed25519 host key in the host's sshd_config (HostKeyAlgorithms), then restart sshd", []string{"host key refused"}},
	{"auth-failed", hosts.CheckSSH, "check the user and identity file in the config and that the public key is in the host's authorized_keys", []string{"authentication failed"}},
	{"jump-unreachable", hosts.CheckSSH, "the jump host is down or unreachable: fix it first, every host behind it shows the same cause", []string{"unreachable: jump host"}},
	{"host-unreachable", hosts.CheckSSH, "check the host's power and network from its console (IPMI/iLO/iDRAC), then that sshd runs and listens on the configured port", []string{"unreachable", "ssh connection lost"}},

	{"hyperv-launchtype-off", hosts.CheckHypervisor, remedyLaunchType, []string{"hypervisorlaunchtype"}},
	{"hyperv-firmware", hosts.CheckHypervisor, remedyFirmware, []string{"disabled in firmware"}},
	{"hyperv-role-missing", hosts.CheckHypervisor, "install the Hyper-V role (Install-WindowsFeature Hyper-V -IncludeManagementTools), then reboot", []string{"vmms service not found"}},
	{"hyperv-vmms-down", hosts.CheckHypervisor, remedyVMMS, []string{"vmms "}},
	{"hyperv-vmcompute-down", hosts.CheckHypervisor, "Start-Service vmcompute, then Get-WinEvent -LogName Microsoft-Windows-Hyper-V-Compute-Admin for why it stopped", []string{"vmcompute"}},
	{"libvirt-socket-missing", hosts.CheckHypervisor, "the daemon runs but its socket refuses: check unix_sock_dir and the socket's permissions in libvirtd.conf (ls -l /run/libvirt/), then systemctl restart libvirtd", []string{"open failed", "connect failed", "rejected"}},
	{"libvirtd-hung", hosts.CheckHypervisor, "the daemon runs but does not answer: journalctl -u libvirtd for a stuck call, then systemctl restart libvirtd (VMs keep running)", []string{"no answer before the deadline", "timeout"}},
	{"libvirt-not-answering", hosts.CheckHypervisor, "systemctl status libvirtd on the host to see whether the daemon runs, then journalctl -u libvirtd", []string{"not answering"}},
	{"libvirtd-inactive", hosts.CheckHypervisor, "systemctl restart libvirtd (x in the console), then journalctl -u libvirtd (l) for why it stopped", []string{" inactive", " failed", " deactivating", "connection lost"}},

	{"vm-crashed", hosts.CheckVMs, "read the guest's log (/var/log/libvirt/qemu/VM.log) for why it died, then virsh start VM", []string{" crashed", "(critical)"}},
	{"vm-autostart-down", hosts.CheckVMs, "virsh start VM (after a daemon restart, start every autostart VM that is down); Start-VM on Hyper-V", []string{"down (autostart)", "autostart VM down", "automatic-start VM off"}},
	{"vm-paused-error", hosts.CheckVMs, "fix what paused it (ioerror: usually a full or lost disk under the image), then virsh resume VM", []string{"paused (", "postcopy-failed", " saved", " hibernated", " fastsaved"}},
	{"network-autostart-down", hosts.CheckVMs, "virsh net-start NETWORK, then virsh net-dumpxml NETWORK if it refuses (a bridge or address in use)", []string{"autostart network"}},

	{"kvm-unavailable", hosts.CheckKVM, "enable VT-x/AMD-V in the firmware, then modprobe kvm_intel (or kvm_amd); VMs cannot start without it", []string{"no /dev/kvm", "no kvm module"}},
	{"kvm-denied", hosts.CheckKVM, "give the libvirt-qemu user access to /dev/kvm (group kvm, mode 0660: udevadm trigger after fixing the rule)", []string{"/dev/kvm not accessible"}},

	{"backup-missing", hosts.CheckBackups, "no backup file matches the spec's path: check the backup job's last run and its target, then the path in the config", []string{"no file matches", "only ", "no successful Windows Server Backup"}},
	{"backup-stale", hosts.CheckBackups, "the backup job has not written a new file in time: check its last run (systemctl list-timers, its log) and the target's free space", []string{" old > "}},
	{"backup-corrupt", hosts.CheckBackups, "do not trust this copy: run the backup again and verify it (qemu-img check, sha256sum -c), and keep the previous good one", []string{"sha256 mismatch", "image corrupt", "sidecar"}},
	{"backup-small", hosts.CheckBackups, "the newest backup is much smaller than expected: check the job's log for a partial copy, then run it again", []string{"size ", "size dropped"}},
	{"backup-leaks", hosts.CheckBackups, "leaked clusters waste space but lose no data: qemu-img check -r leaks on a copy", []string{"leaked clusters"}},
	{"backup-clock", hosts.CheckBackups, "a backup file dated in the future: check the host's clock (timedatectl) and the job's", []string{"mtime in the future"}},
	{"backup-wsb-failed", hosts.CheckBackups, "Get-WBJob -Previous 1 and the Microsoft-Windows-Backup event log for the error, then Start-WBBackup again", []string{"Windows Server Backup failed"}},
	{"drill-failed", hosts.CheckBackups, "read the drill's reason in the details, fix the backup, then run a restore drill again (D)", []string{"restore drill failed"}},
	{"drill-overdue", hosts.CheckBackups, "run a restore drill (D in the console, hvconsole drill on the CLI)", []string{"no restore drill has passed", "last passing restore drill"}},

	{"pool-degraded", hosts.CheckStorage, "virsh pool-info POOL and the underlying device (multipath -ll, zpool status, mount), then virsh pool-start POOL", []string{" degraded", " inaccessible", "inactive (autostart)", "building"}},
	{"pool-full", hosts.CheckStorage, "free space in the pool (virsh vol-list POOL: old snapshots and images) or grow it before a VM pauses on ioerror", []string{" full"}},

	{"memory-low", hosts.CheckResources, "find the VMs using the most memory (virsh dommemstat, Get-VM) and move or shrink them before the host swaps or OOM-kills a guest", []string{"memory low", "mem "}},
	{"memory-overcommitted", hosts.CheckResources, "running VMs may use more memory than the host has: migrate some away or lower their maximum memory", []string{"overcommitted"}},
	{"disk-full", hosts.CheckResources, "free space on the image filesystem (old images, snapshots, logs: du -xh --max-depth=2) before a VM pauses on ioerror", []string{"disk ", " used ("}},
	{"load-high", hosts.CheckResources, "find the busy guests (virt-top, Get-VM | sort CPUUsage) and spread them over other hosts", []string{"load "}},
	{"storage-path-missing", hosts.CheckResources, "the configured VM storage path does not exist or cannot be measured: check the volume is mounted", []string{"does not exist", "not measured"}},

	{"security-findings", hosts.CheckSecurity, "apply each finding's fix line in the details (d), or list the finding in security_ignore with a reason", []string{"finding"}},
}

// CauseOf classifies a CRIT or WARN result: the cause its summary leads
// with. ok is false for OK and UNKNOWN results (there is nothing to fix,
// or we do not know what) and for a summary no cause recognises.
func CauseOf(r Result) (Cause, bool) {
	if r.Status != CRIT && r.Status != WARN {
		return Cause{}, false
	}
	// a summary may end in " | " and the figures, which are not causes
	sum, _, _ := strings.Cut(r.Summary, " | ")
	for _, c := range causes {
		if c.Check != r.Check {
			continue
		}
		for _, w := range c.words {
			if strings.Contains(sum, w) {
				return c, true
			}
		}
	}
	return Cause{}, false
}

// Remedy is the one-line remedy of a CRIT or WARN result, or "".
func Remedy(r Result) string {
	c, _ := CauseOf(r)
	return c.Remedy
}
