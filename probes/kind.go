package probes

import (
	"context"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// Kind is what hvconsole knows of one hypervisor kind: which checks mean
// something there, how its checks after ssh run, how its backups are read,
// and the commands of its actions. Each kind lives in its own files
// (libvirt_*.go, hyperv_*.go); a third kind
// (Proxmox, Xen) is one more file set and one entry in kinds, not edits
// across the probes, the actions and the console.
type Kind interface {
	// Applies reports whether a check means anything on this kind; a check
	// that does not is skipped even when the inventory's defaults list it.
	Applies(check string) bool
	// RestartCommand is the exact remote command restarting an
	// allow-listed unit on h: what the confirmation shows and the action
	// layer runs.
	RestartCommand(h hosts.Host, unit string) (string, error)
	// JournalCommand reads the last lines of unit's log on h.
	JournalCommand(h hosts.Host, unit string, lines int) (string, error)

	// probe runs the kind's checks after ssh into rep, over p's connection.
	probe(ctx context.Context, p *hostProbe, rep HostReport) HostReport
	// backups runs the kind's backups check over r.
	backups(ctx context.Context, r Conn, h hosts.Host, now time.Time) (Result, []BackupResult)
}

// kinds maps the inventory's hypervisor values to their kinds.
var kinds = map[string]Kind{
	hosts.KindLibvirt: libvirtKind{},
	hosts.KindHyperV:  hyperVKind{},
}

// KindOf returns h's kind; validation admits only known kinds, and an
// unset one is libvirt.
func KindOf(h hosts.Host) Kind {
	if k, ok := kinds[h.Hypervisor]; ok {
		return k
	}
	return libvirtKind{}
}
