package probes

import (
	"context"
	"slices"

	"github.com/hvconsole/hvconsole/hosts"
)

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
		rep.Checks = append(rep.Checks, CheckHyperVSecurity(ctx, p.r, p.h, p.s.now()))
	}
	return rep
}
