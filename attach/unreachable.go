package attach

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/hvconsole/hvconsole/probes"
)

// A collector that goes away leaves its hosts UNKNOWN "collector
// unreachable" (we do not know that they are down), each keeping its last
// VM list, marked as of when it was read: the blast radius stays visible.

// lastVMs is a host's VM list as of when it was read.
type lastVMs struct {
	vms  []probes.VM
	asOf time.Time
}

// remember keeps rep's VM list for the time the collector is away.
func (c *collector) remember(rep probes.HostReport) {
	asOf := rep.VMsAsOf
	if asOf.IsZero() {
		asOf = rep.Time
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(rep.VMs) == 0 {
		delete(c.vms, rep.Host)
		return
	}
	if c.vms == nil {
		c.vms = make(map[string]lastVMs)
	}
	c.vms[rep.Host] = lastVMs{vms: rep.VMs, asOf: asOf}
}

// unreachable marks every host the collector last listed.
func (f *Fleet) unreachable(ctx context.Context, c *collector) {
	c.mu.Lock()
	names := slices.Clone(c.hosts)
	vms := maps.Clone(c.vms)
	c.mu.Unlock()
	now := time.Now()
	site := c.siteName()
	for _, n := range names {
		rep := probes.HostReport{Host: n, Site: site, Status: probes.UNKNOWN, Time: now, Checks: []probes.Result{{
			Host: n, Check: CheckCollector, Status: probes.UNKNOWN, Summary: UnreachableSummary,
			Details: "the collector at " + c.target.Raw + " does not answer; reconnecting", Time: now}}}
		if l, ok := vms[n]; ok {
			rep.VMs, rep.VMsAsOf = slices.Clone(l.vms), l.asOf
		}
		if !f.emit(ctx, rep) {
			return
		}
	}
}
