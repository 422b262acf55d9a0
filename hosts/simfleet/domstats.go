package simfleet

import (
	"fmt"

	libvirt "github.com/digitalocean/go-libvirt"
)

// The domain statistics (virConnectGetAllDomainStats), state group only:
// what the probes read every domain's state and reason from, in one call.

// listed applies ConnectListAllDomains' filters the simulated daemon
// knows, active/inactive and autostart/no-autostart, as libvirtd does.
func listed(d domain, flags libvirt.ConnectListAllDomainsFlags) bool {
	return flagPair(flags, libvirt.ConnectListDomainsActive, libvirt.ConnectListDomainsInactive, d.id >= 0) &&
		flagPair(flags, libvirt.ConnectListDomainsAutostart, libvirt.ConnectListDomainsNoAutostart, d.autostart)
}

// maxStatsDomains bounds the domains a client may name in one call.
const maxStatsDomains = 1024

// allDomainStats decodes {remote_nonnull_domain doms<>; u_int stats; u_int
// flags} and answers remote_domain_stats_record ret_stats<>: every domain
// (or those named, looked up by UUID) matching the active/inactive flags,
// each with state.state and state.reason as int typed parameters when the
// state group is asked for (stats 0 asks for every group the daemon has).
// Groups it does not have are left out, as libvirtd does without
// VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS.
func (c *rpcConn) allDomainStats(r *xdrReader) ([]byte, *rpcError) {
	n := r.uint32()
	if n > maxStatsDomains {
		return nil, badArgs(fmt.Errorf("%d domains named (at most %d)", n, maxStatsDomains))
	}
	uuids := make([][]byte, 0, n)
	for range n {
		_, uuid := readDomainRef(r)
		uuids = append(uuids, uuid)
	}
	stats := libvirt.DomainStatsTypes(r.uint32())
	flags := libvirt.ConnectGetAllDomainStatsFlags(r.uint32())
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	doms := c.statsDomains(uuids, libvirt.ConnectListAllDomainsFlags(flags&
		(libvirt.ConnectGetAllDomainsStatsActive|libvirt.ConnectGetAllDomainsStatsInactive)))
	state := stats == 0 || stats&libvirt.DomainStatsState != 0
	var w xdrWriter
	w.uint32(uint32(len(doms)))
	for _, d := range doms {
		encodeDomain(&w, d)
		if !state {
			w.uint32(0)
			continue
		}
		w.uint32(2)
		for _, p := range []struct {
			name string
			v    int32
		}{{"state.state", int32(d.state)}, {"state.reason", d.reason}} {
			w.string(p.name)
			w.uint32(1) // VIR_TYPED_PARAM_INT
			w.int32(p.v)
		}
	}
	return w.b, nil
}

// statsDomains is a copy of the domains named by uuids (every domain when
// none is), those that no longer exist left out, filtered by flags.
func (c *rpcConn) statsDomains(uuids [][]byte, flags libvirt.ConnectListAllDomainsFlags) []domain {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	var out []domain
	if len(uuids) == 0 {
		for _, d := range c.h.w.domains {
			if listed(d, flags) {
				out = append(out, d)
			}
		}
		return out
	}
	for _, u := range uuids {
		if d, ok := c.h.w.domainByUUID(u); ok && listed(*d, flags) {
			out = append(out, *d)
		}
	}
	return out
}
