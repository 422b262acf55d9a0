package probes

import (
	"context"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// libvirtKind is KVM/QEMU (or any libvirt driver) behind libvirtd or
// virtqemud, asked over the tunnelled libvirt socket, with POSIX shell
// commands for what no RPC tells.
type libvirtKind struct{}

func (libvirtKind) Applies(string) bool { return true }

func (libvirtKind) RestartCommand(h hosts.Host, unit string) (string, error) {
	return remote.RestartCommand(unit, h.Sudo)
}

func (libvirtKind) JournalCommand(_ hosts.Host, unit string, lines int) (string, error) {
	return remote.JournalCommand(unit, lines)
}

func (libvirtKind) probe(ctx context.Context, p *hostProbe, rep HostReport) HostReport {
	return p.probeLibvirt(ctx, rep)
}

func (libvirtKind) backups(ctx context.Context, r Conn, h hosts.Host, now time.Time) (Result, []BackupResult) {
	return checkBackups(ctx, r, h, now)
}
