package probes

import (
	"context"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hyperVKind is Windows Server with Hyper-V behind its OpenSSH server,
// asked with constant PowerShell scripts sent as -EncodedCommand.
type hyperVKind struct{}

// Applies: kvm and storage pools are libvirt's.
func (hyperVKind) Applies(check string) bool {
	return check != hosts.CheckKVM && check != hosts.CheckStorage
}

func (hyperVKind) RestartCommand(_ hosts.Host, unit string) (string, error) {
	return remote.HyperVRestartCommand(unit)
}

// JournalCommand reads the Hyper-V VMMS admin event log, the hypervisor's
// own, whichever allow-listed unit was picked.
func (hyperVKind) JournalCommand(_ hosts.Host, unit string, _ int) (string, error) {
	if !remote.ValidUnit(unit) {
		return "", remote.ErrBadArgument
	}
	return remote.EncodedCommand(remote.HyperVJournalScript), nil
}

func (hyperVKind) probe(ctx context.Context, p *hostProbe, rep HostReport) HostReport {
	return p.hyperV(ctx, rep)
}

func (hyperVKind) backups(ctx context.Context, r Remote, h hosts.Host, now time.Time) (Result, []BackupResult) {
	return CheckHyperVBackups(ctx, r, h, now)
}
