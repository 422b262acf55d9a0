// Package hosts holds the inventory: the TOML config file, its defaults and
// validation, and the fixed remote commands that probes and actions run.
//
// The SSH transport lives in the sub-package hosts/sshx; this package only
// describes what to connect to and how.
package hosts

import (
	"slices"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Hypervisor kinds a host can have.
const (
	KindLibvirt = "libvirt"
	KindHyperV  = "hyperv"
)

// DefaultKeepaliveInterval is keepalive_interval's default. A monitor can
// afford a fast dead-link check: three missed 1 s keepalives call a host
// unreachable within 3-4 s of a partition, while one packet each way per
// second costs nothing and TCP's retransmissions over a 5% lossy link stay
// far inside the 3 s.
const DefaultKeepaliveInterval = time.Second

// DefaultTCPKeepalive is tcp_keepalive's default: the kernel probes a
// direct connection idle for 1 s every second and ends it after six
// unanswered probes, 7 s after the last packet from the host
// (TCP_USER_TIMEOUT bounds unacknowledged data alike), at no CPU cost to
// the process, so a dead link is found in seconds even when
// keepalive_interval is long.
const DefaultTCPKeepalive = time.Second

// DefaultHostKeyRecheck is how often the console checks a host's key again
// on a fresh handshake when host_key_recheck is unset.
const DefaultHostKeyRecheck = time.Minute

// Check names a host can run.
const (
	CheckSSH        = "ssh"
	CheckHypervisor = "hypervisor"
	CheckVMs        = "vms"
	CheckKVM        = "kvm"
	CheckBackups    = "backups"
	CheckResources  = "resources"
	CheckStorage    = "storage"
	CheckSecurity   = "security"
)

// Config is a loaded and validated inventory. Every Host has its defaults
// already applied, so consumers never look at [defaults] themselves.
type Config struct {
	// Path is the file the config was read from ("" when built in code).
	Path string
	// ReadOnly refuses every mutating action (the action layer enforces it).
	ReadOnly bool
	// Bell rings the terminal bell on a new CRIT in the console.
	Bell bool
	// AuditLog is the append-only JSON-lines audit file.
	AuditLog string
	// Concurrency bounds how many hosts are probed at once.
	Concurrency int
	// MaxHandshakes bounds concurrent new SSH connections (server CPU).
	MaxHandshakes int
	// KeepaliveInterval is how often keepalive@openssh.com is sent; a link is
	// declared dead after 3 missed replies (DefaultKeepaliveInterval).
	KeepaliveInterval time.Duration
	// TCPKeepalive is the kernel's keepalive on each direct TCP connection:
	// probes after TCPKeepalive of silence, one per TCPKeepalive, and the
	// connection ends after 6 unanswered (DefaultTCPKeepalive); 0 is off.
	// A host behind a jump host gets SSH keepalives at this cadence
	// instead (its last link is not ours to probe).
	TCPKeepalive time.Duration
	// SSHConfig is how hosts are completed from ssh_config: SSHConfigSSH,
	// SSHConfigParse or SSHConfigOff.
	SSHConfig string
	// Notices are things worth saying about a valid config (a loosening
	// ssh_config setting that is ignored); validate prints them.
	Notices []Problem
	// HostKeyRecheck is how often the console checks each host's key again
	// on a fresh handshake while its pooled connection lives on.
	HostKeyRecheck time.Duration
	// Hosts in inventory order. Names are unique.
	Hosts []Host
	// Serve and Alerting configure `hvconsole serve` (defaults applied).
	Serve    Serve
	Alerting Alerting

	// explain holds each host's connection settings and their sources.
	explain map[string][]Setting
}

// Host is one inventory entry with defaults applied.
type Host struct {
	Name    string
	Address string
	Port    int
	Tags    []string
	// Jump is the resolved chain of hops, outermost first (empty: direct).
	Jump []Hop

	User           string
	IdentityFiles  []string
	UseAgent       bool
	KnownHosts     []string
	ConnectTimeout time.Duration
	ProbeTimeout   time.Duration
	ProbeInterval  time.Duration

	// Hypervisor is KindLibvirt or KindHyperV.
	Hypervisor    string
	LibvirtSocket string
	LibvirtURI    string
	// Units are the service units that make up the hypervisor (e.g. libvirtd).
	Units []string
	// Services is the allow-list of units an operator may restart.
	Services []string
	// Sudo prefixes mutating commands with "sudo -n".
	Sudo bool
	// Checks to run, from the Check* names.
	Checks []string
	// Backups are the backup specs to verify on this host.
	Backups []Backup
	// BackupInterval is the cadence of the backups check.
	BackupInterval time.Duration

	// ImagePaths are the folders whose filesystems hold VM images; the
	// resources check reports their disk use (empty: no disk check).
	ImagePaths []string
	// MemFreeWarn and MemFreeCrit are percentages (0-100) of host memory:
	// less free than this is WARN or CRIT in the resources check.
	MemFreeWarn, MemFreeCrit float64
	// DiskUseWarn and DiskUseCrit are percentages (0-100): a filesystem or
	// storage pool fuller than this is WARN or CRIT (resources, storage).
	DiskUseWarn, DiskUseCrit float64
	// LoadPerCPUWarn is the 1-minute load average per CPU above which the
	// resources check warns.
	LoadPerCPUWarn float64

	// SecurityCrit are the security findings rated CRIT, the others WARN
	// (nil: DefaultSecurityCrit); SecurityIgnore are findings not reported
	// at all (see SecurityFindings and Host.SecurityLevel).
	SecurityCrit, SecurityIgnore []string

	// RestoreDir is the scratch folder on the host where restore drills
	// copy a backup (removed again whatever happens); "" means
	// DefaultRestoreDir.
	RestoreDir string
	// DrillRateMiB bounds a drill's copy to that many MiB per second, so a
	// drill never starves the host's production I/O (0: unbounded).
	DrillRateMiB int
	// VMActions are the VM operations the console and `hvconsole vm` may
	// carry out on the host's VMs (VMStart, VMResume, VMDestroy); see
	// VMAllowed.
	VMActions []string
}

// Hop is one jump host in a chain, resolved to a full endpoint.
type Hop struct {
	// Name is the inventory name, or "user@host:port" for an ad-hoc hop.
	Name       string
	Address    string
	Port       int
	User       string
	KnownHosts []string
	// IdentityFiles and UseAgent are the credentials used at this hop.
	IdentityFiles []string
	UseAgent      bool
}

// Backup is one backup spec verified by the backups check.
type Backup struct {
	Name     string
	Path     string // a glob on the host
	MaxAge   time.Duration
	MinSize  int64 // bytes
	MinCount int
	Verify   string // VerifyNone, VerifySHA256 or VerifyQemuImg
	// WSB also checks Windows Server Backup's summary (Get-WBSummary) on
	// Hyper-V hosts: last successful backup within MaxAge, last result OK.
	WSB bool
	// Drill is the strongest restore drill the spec allows: DrillRestore
	// (L0 integrity and L1 restore; "" means this) or DrillBoot (also L2).
	Drill string
	// DrillMaxAge, when set, makes the backups check WARN once the last
	// successful drill of this spec is older (CRIT when the last drill
	// failed, whatever its age).
	DrillMaxAge time.Duration
	// DrillBootTimeout is how long an L2 drill waits for the restored
	// guest's agent to answer guest-ping; DrillBootMemoryMiB the drill
	// guest's memory; zero means the default (see BootTimeout,
	// BootMemoryMiB).
	DrillBootTimeout   time.Duration
	DrillBootMemoryMiB int
}

// Restore drill levels a backup spec allows.
const (
	DrillRestore = "restore"
	DrillBoot    = "boot"
)

// Query is what a Hyper-V backups script asks of the spec.
func (b Backup) Query() remote.BackupQuery {
	return remote.BackupQuery{Path: b.Path, Verify: b.Verify, WSB: b.WSB}
}

// HasCheck reports whether the host runs the named check.
func (h Host) HasCheck(name string) bool { return slices.Contains(h.Checks, name) }

// Allowed reports whether unit is on the host's restart allow-list.
func (h Host) Allowed(unit string) bool { return slices.Contains(h.Services, unit) }
