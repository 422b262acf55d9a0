package hosts

import (
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// DefaultRestoreDir is where drills copy a backup unless restore_dir says
// otherwise: on the host's disk (not a tmpfs /tmp), meant for large files.
const DefaultRestoreDir = "/var/tmp"

// Boot drill (L2) defaults and bounds.
const (
	DefaultDrillBootTimeout   = 120 * time.Second
	DefaultDrillBootMemoryMiB = 1024
	maxDrillBootTimeout       = 2 * time.Hour
	minDrillBootMemoryMiB     = 64
	maxDrillBootMemoryMiB     = 1 << 20
)

// BootTimeout is the spec's drill_boot_timeout or its default.
func (b Backup) BootTimeout() time.Duration {
	if b.DrillBootTimeout > 0 {
		return b.DrillBootTimeout
	}
	return DefaultDrillBootTimeout
}

// BootMemoryMiB is the spec's drill_boot_memory_mib or its default.
func (b Backup) BootMemoryMiB() int {
	if b.DrillBootMemoryMiB > 0 {
		return b.DrillBootMemoryMiB
	}
	return DefaultDrillBootMemoryMiB
}

// drillBoot overlays a spec's drill_boot_timeout and drill_boot_memory_mib.
func (ps *problems) drillBoot(b *Backup, key string, raw *rawBackup) {
	if raw.DrillBootTimeout != nil {
		k := joinKey(key, "drill_boot_timeout")
		if d, ok := ps.duration(k, *raw.DrillBootTimeout); ok {
			if d < time.Second || d > maxDrillBootTimeout {
				ps.atf(k, "drill_boot_timeout %s out of range 1s-%s", d, maxDrillBootTimeout)
			} else {
				b.DrillBootTimeout = d
			}
		}
	}
	if raw.DrillBootMemoryMiB != nil {
		if n := *raw.DrillBootMemoryMiB; n < minDrillBootMemoryMiB || n > maxDrillBootMemoryMiB {
			ps.atf(joinKey(key, "drill_boot_memory_mib"), "drill_boot_memory_mib %d out of range %d-%d",
				n, minDrillBootMemoryMiB, maxDrillBootMemoryMiB)
		} else {
			b.DrillBootMemoryMiB = n
		}
	}
}

// maxDrillRateMiB bounds drill_rate_mib: more than 100 GiB/s is a typo.
const maxDrillRateMiB = 100 * 1024

// applyDrill overlays restore_dir and drill_rate_mib.
func (ps *problems) applyDrill(l *limits, raw *rawSettings, prefix string) {
	if raw.RestoreDir != nil {
		if v, ok := ps.validString(joinKey(prefix, "restore_dir"), raw.RestoreDir, badRestoreDir); ok {
			l.restoreDir = v
		}
	}
	if raw.DrillRateMiB != nil {
		if n := *raw.DrillRateMiB; n < 0 || n > maxDrillRateMiB {
			ps.atf(joinKey(prefix, "drill_rate_mib"), "drill_rate_mib %d out of range 0-%d (0: unbounded)", n, maxDrillRateMiB)
		} else {
			l.drillRateMiB = n
		}
	}
}

// badRestoreDir accepts an absolute POSIX folder (the drill commands quote
// it, and write it into qemu-img's JSON filename, hence no quote or
// backslash) or a Windows folder for Hyper-V hosts.
func badRestoreDir(s string) string {
	if remote.ValidWindowsPath(s) {
		return ""
	}
	if !remote.ValidPath(s) || strings.ContainsAny(s, `"\`) || s == "/" {
		return "invalid restore_dir " + quote(s) + ": want an absolute folder without control characters, quotes, backslashes or '..'"
	}
	return ""
}
