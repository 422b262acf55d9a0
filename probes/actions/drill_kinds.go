package actions

import (
	"context"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

// DefaultHyperVRestoreDir is where drills copy a backup on a Windows host
// whose restore_dir is not a Windows folder (the inventory default is a
// POSIX one).
const DefaultHyperVRestoreDir = `C:\Windows\Temp`

// drillOps is how a drill is done on one hypervisor kind: POSIX shell
// with dd and qemu-img on libvirt hosts, PowerShell with Copy-Item,
// Get-FileHash and Test-VHD on Hyper-V hosts.
type drillOps struct {
	newest  func(context.Context, probes.Conn, hosts.Host, hosts.Backup) (string, int64, error)
	command func(remote.DrillSpec) (string, error)
	cleanup func(dir, id string) (string, error)
	finish  func(*probes.DrillResult, string, hosts.Backup, remote.DrillSpec)
	// poll reads the copy's size while it runs, for progress.
	poll bool
	// dir is the restore folder for h; scratch the drill's folder in it,
	// named with the host's own separator.
	dir     func(hosts.Host) string
	scratch func(dir, id string) string
}

func drillOpsFor(h hosts.Host) drillOps {
	if h.Hypervisor == hosts.KindHyperV {
		return drillOps{
			newest: probes.NewestHyperVBackup,
			command: func(s remote.DrillSpec) (string, error) {
				script, err := remote.HyperVDrillScript(s)
				return remote.EncodedCommand(script), err
			},
			cleanup: func(dir, id string) (string, error) {
				script, err := remote.HyperVDrillCleanupScript(dir, id)
				return remote.EncodedCommand(script), err
			},
			finish: func(r *probes.DrillResult, out string, spec hosts.Backup, _ remote.DrillSpec) {
				probes.FinishHyperVDrill(r, out, spec)
			},
			dir: func(h hosts.Host) string {
				if remote.ValidWindowsPath(h.RestoreDir) {
					return h.RestoreDir
				}
				return DefaultHyperVRestoreDir
			},
			scratch: func(dir, id string) string { return strings.TrimSuffix(dir, `\`) + `\hvconsole-drill-` + id },
		}
	}
	return drillOps{
		newest:  probes.NewestBackup,
		command: remote.DrillCommand,
		cleanup: remote.DrillCleanupCommand,
		finish: func(r *probes.DrillResult, out string, spec hosts.Backup, ds remote.DrillSpec) {
			probes.FinishDrill(r, out, spec, ds.QCOW2)
		},
		poll: true,
		dir: func(h hosts.Host) string {
			if h.RestoreDir == "" {
				return hosts.DefaultRestoreDir
			}
			return h.RestoreDir
		},
		scratch: remote.DrillScratch,
	}
}
