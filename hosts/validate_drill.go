package hosts

import (
	"strings"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// DefaultRestoreDir is where drills copy a backup unless restore_dir says
// otherwise: on the host's disk (not a tmpfs /tmp), meant for large files.
const DefaultRestoreDir = "/var/tmp"

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
