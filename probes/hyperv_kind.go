package probes

import (
	"context"
	"slices"
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

func (hyperVKind) backups(ctx context.Context, r Conn, h hosts.Host, now time.Time) (Result, []BackupResult) {
	return checkHyperVBackups(ctx, r, h, now)
}

// hyperV runs a Hyper-V host's checks (constant PowerShell scripts over
// the pooled connection) into rep. The backups check keeps its own cadence
// and, under Run, its own worker, as on libvirt hosts.
func (p *hostProbe) hyperV(ctx context.Context, rep HostReport) HostReport {
	h := p.h
	h.Checks = slices.DeleteFunc(slices.Clone(h.Checks), func(c string) bool {
		return c == hosts.CheckBackups || c == hosts.CheckSecurity
	})
	hv := ProbeHyperV(ctx, p.r, h, p.s.now())
	rep.Checks = append(rep.Checks, hv.Checks...)
	rep.VMs, rep.Version, rep.Resources = hv.VMs, hv.Version, hv.Resources
	if p.h.HasCheck(hosts.CheckBackups) {
		if b, specs, ok := p.backups(ctx); ok {
			rep.Checks, rep.Backups = append(rep.Checks, b), specs
		}
	}
	if p.h.HasCheck(hosts.CheckSecurity) {
		rep.Checks = append(rep.Checks, checkHyperVSecurity(ctx, p.r, p.h, p.s.now()))
	}
	return rep
}
