package probes

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// Every cause in the catalog has a key, a check and a remedy, and keys are
// unique (they name runbook pages).
func TestCausesHaveRemedies(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range causes {
		if c.Name == "" || c.Check == "" || c.Remedy == "" || len(c.words) == 0 {
			t.Errorf("cause %+v: want a name, a check, a remedy and words", c)
		}
		if seen[c.Name] {
			t.Errorf("cause %q twice", c.Name)
		}
		seen[c.Name] = true
	}
}

// remedyCase is one CRIT or WARN result, made by its producer where the
// producer is a function of plain facts, and the cause it must get.
type remedyCase struct {
	name  string
	res   Result
	cause string
}

func classified(err error) Result {
	st, sum := (*SSHTransport).ClassifyConnect(nil, err)
	return Result{Check: hosts.CheckSSH, Status: st, Summary: sum}
}

func hvResult(err error, states ...remote.UnitState) Result {
	u := unitFacts{states: states, known: len(states) > 0, fresh: true}
	return hypervisorResult(hosts.Host{Name: "h"}, hvFacts{err: err}, u, time.Time{})
}

func vmsSummary(vms ...VM) Result {
	st, sum, _ := VMSummary(vms)
	return Result{Check: hosts.CheckVMs, Status: st, Summary: sum}
}

func poolResult(p Pool) Result {
	var v verdict
	ratePool(hosts.Host{DiskUseWarn: 80, DiskUseCrit: 90}, p, &v)
	return Result{Check: hosts.CheckStorage, Status: v.st, Summary: v.summary("1 of 1 pools running")}
}

func backupResult(brs ...BackupResult) Result {
	st, sum, _, _ := summarizeBackups(brs)
	return Result{Check: hosts.CheckBackups, Status: st, Summary: sum}
}

func remedyCases() []remedyCase {
	dial := func(hop string, err error) error {
		return &sshx.DialError{Host: "kvm-01", Hop: hop, Address: "10.0.0.1:22", Err: err}
	}
	active := remote.UnitState{Unit: "libvirtd", State: "active"}
	refused := sshChannelRefused(false, "open failed")
	hostCheck := func(check string, st Status, sum string) Result {
		return Result{Check: check, Status: st, Summary: sum}
	}
	return []remedyCase{
		{"key changed", classified(dial("kvm-01", &sshx.HostKeyMismatchError{Host: "kvm-01", File: "/k", Line: 2})), "host-key-changed"},
		{"key unknown", classified(dial("kvm-01", &sshx.UnknownHostError{Host: "kvm-01", Fingerprint: "SHA256:x"})), "host-key-unknown"},
		{"key revoked", classified(dial("kvm-01", &sshx.RevokedKeyError{Host: "kvm-01", File: "/k", Line: 1})), "host-key-revoked"},
		{"cert refused", classified(dial("kvm-01", &sshx.HostCertError{Host: "kvm-01", Err: errors.New("expired")})), "host-cert-refused"},
		{"weak key", classified(dial("kvm-01", fmt.Errorf("%w: %w", sshx.ErrHostKey, sshx.ErrWeakHostKeySignature))), "host-key-weak"},
		{"auth", classified(dial("kvm-01", fmt.Errorf("%w: no key", sshx.ErrAuth))), "auth-failed"},
		{"jump down", classified(dial("bastion", fmt.Errorf("%w: refused", sshx.ErrUnreachable))), "jump-unreachable"},
		{"unreachable", classified(dial("kvm-01", fmt.Errorf("%w: refused", sshx.ErrUnreachable))), "host-unreachable"},
		{"timeout", classified(deadlineErr{}), "host-unreachable"},
		{"connection lost", hostCheck(hosts.CheckSSH, CRIT, "unreachable: ssh connection lost"), "host-unreachable"},

		{"libvirtd inactive", hvResult(errLibvirtClosed, remote.UnitState{Unit: "libvirtd", State: "inactive"}), "libvirtd-inactive"},
		{"libvirtd failed", hvResult(errLibvirtClosed, remote.UnitState{Unit: "libvirtd", State: "failed"}), "libvirtd-inactive"},
		{"unit down, API up", hvResult(nil, active, remote.UnitState{Unit: "virtlogd", State: "inactive"}), "libvirtd-inactive"},
		{"socket missing", hvResult(fmt.Errorf("probes: libvirt connect: %w", refused), active), "libvirt-socket-missing"},
		{"daemon hung", hvResult(errCallTimeout, active), "libvirtd-hung"},
		{"units unknown", hvResult(errLibvirtClosed), "libvirt-not-answering"},
		{"hyperv launchtype", hostCheck(hosts.CheckHypervisor, CRIT, SummaryNotRunning+": hypervisorlaunchtype is Off in the boot entry: "+remedyLaunchType), "hyperv-launchtype-off"},
		{"hyperv firmware", hostCheck(hosts.CheckHypervisor, CRIT, SummaryNotRunning+": virtualization (VT-x/AMD-V) disabled in firmware: "+remedyFirmware), "hyperv-firmware"},
		{"hyperv role", hostCheck(hosts.CheckHypervisor, CRIT, SummaryNotRunning+": vmms service not found: is the Hyper-V role installed?"), "hyperv-role-missing"},
		{"hyperv vmms", hostCheck(hosts.CheckHypervisor, CRIT, SummaryNotRunning+": vmms Stopped: "+remedyVMMS), "hyperv-vmms-down"},
		{"hyperv vmcompute", hostCheck(hosts.CheckHypervisor, WARN, "Hyper-V 10.0; vmcompute Stopped (Host Compute Service)"), "hyperv-vmcompute-down"},

		{"VM crashed autostart", vmsSummary(VM{Name: "db", State: "shutoff", Reason: "crashed", Autostart: true}), "vm-crashed"},
		{"VM crashed", vmsSummary(VM{Name: "db", State: "crashed"}, VM{Name: "web", State: "running"}), "vm-crashed"},
		{"autostart VM down", vmsSummary(VM{Name: "db", State: "shutoff", Reason: "shutdown", Autostart: true}), "vm-autostart-down"},
		{"VM paused on error", vmsSummary(VM{Name: "db", State: "paused", Reason: "ioerror"}), "vm-paused-error"},
		{"postcopy failed", vmsSummary(VM{Name: "db", State: "running", Reason: "postcopy-failed"}), "vm-paused-error"},
		{"network down", withNetworks(vmsSummary(VM{Name: "db", State: "running"}),
			netFacts{nets: []netState{{name: "default", autostart: true}}}), "network-autostart-down"},
		{"hyperv VM critical", hostCheck(hosts.CheckVMs, CRIT, "2 VMs: 1 running, 1 shutoff (critical)"), "vm-crashed"},
		{"hyperv VM saved", hostCheck(hosts.CheckVMs, WARN, "2 VMs: 1 running, 1 saved"), "vm-paused-error"},
		{"hyperv autostart off", hostCheck(hosts.CheckVMs, WARN, "1 VM: 1 shutoff; 1 automatic-start VM off"), "vm-autostart-down"},

		{"no kvm", kvmResult(hosts.Host{}, remote.KVMFacts{}, nil, 0, time.Time{}), "kvm-unavailable"},
		{"kvm denied", kvmResult(hosts.Host{}, remote.KVMFacts{DevPresent: true, Modules: []string{"kvm"}}, nil, 0, time.Time{}), "kvm-denied"},

		{"backup missing", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "no file matches /srv/b/*.qcow2"}), "backup-missing"},
		{"too few", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "only 1 file < min 3"}), "backup-missing"},
		{"stale", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "34h old > max 26h"}), "backup-stale"},
		{"ageing", backupResult(BackupResult{Spec: "n", Status: WARN, Summary: "22h old > 80% of max 26h"}), "backup-stale"},
		{"mismatch", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "sha256 mismatch"}), "backup-corrupt"},
		{"no sidecar", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "no sha256 sidecar"}), "backup-corrupt"},
		{"corrupt", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "qemu-img check: image corrupt (3 errors)"}), "backup-corrupt"},
		{"small", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "size 1 KiB < min 1 GiB"}), "backup-small"},
		{"dropped", backupResult(BackupResult{Spec: "n", Status: WARN, Summary: "size dropped 60%"}), "backup-small"},
		{"leaks", backupResult(BackupResult{Spec: "n", Status: WARN, Summary: "qemu-img check: leaked clusters (4 clusters)"}), "backup-leaks"},
		{"future", backupResult(BackupResult{Spec: "n", Status: WARN, Summary: "mtime in the future"}), "backup-clock"},
		{"wsb failed", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "last Windows Server Backup failed (HRESULT 0x80070070) disk full"}), "backup-wsb-failed"},
		{"wsb none", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "no successful Windows Server Backup"}), "backup-missing"},
		{"drill failed", backupResult(BackupResult{Spec: "n", Status: CRIT, Summary: "last restore drill failed: boot timeout"}), "drill-failed"},
		{"drill never", backupResult(BackupResult{Spec: "n", Status: WARN, Summary: "no restore drill has passed yet"}), "drill-overdue"},
		{"drill old", backupResult(BackupResult{Spec: "n", Status: WARN, Summary: "last passing restore drill 40d ago (drill_max_age 30d)"}), "drill-overdue"},

		{"pool degraded", poolResult(Pool{Name: "p", State: "degraded"}), "pool-degraded"},
		{"pool inaccessible", poolResult(Pool{Name: "p", State: "inaccessible"}), "pool-degraded"},
		{"pool inactive", poolResult(Pool{Name: "p", State: "inactive", Autostart: true}), "pool-degraded"},
		{"pool full", poolResult(Pool{Name: "p", State: "running", Capacity: 100, Allocation: 95}), "pool-full"},
		{"pool filling", poolResult(Pool{Name: "p", State: "running", Capacity: 100, Allocation: 85}), "pool-full"},

		{"memory low", hostCheck(hosts.CheckResources, CRIT, "memory low: 3% free (crit below 5%) | mem 3% free, disk 40%, load 0.1/cpu"), "memory-low"},
		{"overcommit", hostCheck(hosts.CheckResources, WARN, "memory overcommitted: running VMs may use 130% of host memory | mem 40% free"), "memory-overcommitted"},
		{"disk full", hostCheck(hosts.CheckResources, CRIT, "disk /var/lib/libvirt/images 96% full (crit above 95%) | mem 40% free"), "disk-full"},
		{"load", hostCheck(hosts.CheckResources, WARN, "load high: 2.5/cpu (warn above 2) | mem 40% free"), "load-high"},
		{"hyperv mem", hostCheck(hosts.CheckResources, CRIT, "mem 3% free"), "memory-low"},
		{"hyperv disk", hostCheck(hosts.CheckResources, CRIT, `D:\VMs 97% used (3 GiB free of 100 GiB)`), "disk-full"},
		{"hyperv path", hostCheck(hosts.CheckResources, WARN, `D:\VMs does not exist`), "storage-path-missing"},

		{"security", securityResult(hosts.Host{}, hosts.CheckSecurity,
			[]finding{{hosts.FindingTCPUnauth, "libvirtd listens on TCP without auth", "listen_tcp = 0"}}, "", nil, 0, time.Time{}), "security-findings"},
	}
}

// deadlineErr is a bare deadline error, as a dial that timed out
// before sshx could classify it.
type deadlineErr struct{}

func (deadlineErr) Error() string   { return "i/o timeout" }
func (deadlineErr) Timeout() bool   { return true }
func (deadlineErr) Temporary() bool { return true }

// Every CRIT and WARN result the producers write gets a cause, and so a
// remedy; a new summary no cause recognises fails here.
func TestCauseOfEveryProducer(t *testing.T) {
	for _, tc := range remedyCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.res.Status != CRIT && tc.res.Status != WARN {
				t.Fatalf("producer gave %v %q, want CRIT or WARN", tc.res.Status, tc.res.Summary)
			}
			c, ok := CauseOf(tc.res)
			if !ok || c.Name != tc.cause {
				t.Fatalf("CauseOf(%s %q) = %q, %v; want %q", tc.res.Check, tc.res.Summary, c.Name, ok, tc.cause)
			}
			if Remedy(tc.res) == "" {
				t.Fatal("no remedy")
			}
		})
	}
}

// OK and UNKNOWN results have no remedy: nothing to fix, or we do not
// know what.
func TestRemedyOnlyForProblems(t *testing.T) {
	for _, r := range []Result{
		{Check: hosts.CheckHypervisor, Status: OK, Summary: "libvirt 9.0.0"},
		{Check: hosts.CheckHypervisor, Status: UNKNOWN, Summary: summaryLinkInDoubt},
	} {
		if got := Remedy(r); got != "" {
			t.Errorf("Remedy(%v %q) = %q, want none", r.Status, r.Summary, got)
		}
	}
}
