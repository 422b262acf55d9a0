package simfleet

import (
	"errors"
	"fmt"
	"math/rand/v2"

	libvirt "github.com/digitalocean/go-libvirt"
)

// The virtual networks of a simulated host: "default" (NAT, active, started
// at boot) everywhere, and on some hosts an "isolated" network that is
// defined but neither active nor autostart, as an operator leaves a lab
// network. They come from their own random stream so that adding them
// changed nothing else a seed generates.

// libvirt error number and domain for a missing network (virterror.h).
const (
	errNoNetwork = 43
	fromNetwork  = 19
)

// ErrNoNetwork is returned by Host.SetNetworkActive for a network the host
// does not have.
var ErrNoNetwork = errors.New("simfleet: no such network")

// network is one simulated libvirt virtual network (all persistent).
type network struct {
	name              string
	uuid              [16]byte
	active, autostart bool
}

// NetworkState is a snapshot of one simulated virtual network.
type NetworkState struct {
	Name      string
	Active    bool
	Autostart bool
}

// newNetworks draws host idx's networks: "default" active and autostart,
// and on one host in two an inactive, non-autostart "isolated".
func newNetworks(seed int64, idx int) []network {
	rng := rand.New(rand.NewPCG(uint64(seed)^0x6e6574776f726b73, uint64(idx)))
	nets := []network{{name: "default", active: true, autostart: true}}
	if rng.IntN(2) == 0 {
		nets = append(nets, network{name: "isolated"})
	}
	for i := range nets {
		for j := range nets[i].uuid {
			nets[i].uuid[j] = byte(rng.Uint32())
		}
		nets[i].uuid[6] = nets[i].uuid[6]&0x0f | 0x40
		nets[i].uuid[8] = nets[i].uuid[8]&0x3f | 0x80
	}
	return nets
}

// SetNetworkActive starts (true) or stops a virtual network, e.g. to show an
// autostart network that is down (the vms check warns about it).
func (h *Host) SetNetworkActive(name string, active bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.w.networks {
		if h.w.networks[i].name == name {
			h.w.networks[i].active = active
			return nil
		}
	}
	return fmt.Errorf("simfleet: network %q on %s: %w", name, h.name, ErrNoNetwork)
}

// networkStates is the snapshot of the networks; h.mu must be held.
func (w *world) networkStates() []NetworkState {
	out := make([]NetworkState, len(w.networks))
	for i, n := range w.networks {
		out[i] = NetworkState{n.name, n.active, n.autostart}
	}
	return out
}

// flagPair applies one pair of libvirt's exclusive list filters (e.g.
// ACTIVE/INACTIVE): with neither or both set, everything passes.
func flagPair[F ~int32](flags, yes, no F, is bool) bool {
	y, n := flags&yes != 0, flags&no != 0
	return y == n || (y && is) || (n && !is)
}

// listAllNetworks decodes {int need_results; u_int flags} and returns the
// networks matching the flags, then their count.
func (c *rpcConn) listAllNetworks(r *xdrReader) ([]byte, *rpcError) {
	need := r.int32()
	flags := libvirt.ConnectListAllNetworksFlags(r.uint32())
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	c.h.mu.Lock()
	var match []network
	for _, n := range c.h.w.networks {
		if flagPair(flags, libvirt.ConnectListNetworksActive, libvirt.ConnectListNetworksInactive, n.active) &&
			flagPair(flags, libvirt.ConnectListNetworksAutostart, libvirt.ConnectListNetworksNoAutostart, n.autostart) &&
			flagPair(flags, libvirt.ConnectListNetworksPersistent, libvirt.ConnectListNetworksTransient, true) {
			match = append(match, n)
		}
	}
	c.h.mu.Unlock()
	var w xdrWriter
	writeList(&w, need, match, func(w *xdrWriter, n network) { writeNamed(w, n.name, n.uuid) })
	return w.b, nil
}

// networkCall decodes {remote_nonnull_network net}, looks the network up by
// UUID as libvirtd does and answers with enc.
func (c *rpcConn) networkCall(r *xdrReader, enc func(*xdrWriter, network)) ([]byte, *rpcError) {
	name := r.string(maxName)
	uuid := r.fixedOpaque(16)
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	c.h.mu.Lock()
	var found *network
	for i := range c.h.w.networks {
		if string(c.h.w.networks[i].uuid[:]) == string(uuid) {
			n := c.h.w.networks[i]
			found = &n
		}
	}
	c.h.mu.Unlock()
	if found == nil {
		return nil, &rpcError{code: errNoNetwork, domain: fromNetwork,
			msg: fmt.Sprintf("Network not found: no network with matching uuid '%s' (%s)", formatUUID(uuid), name)}
	}
	var w xdrWriter
	enc(&w, *found)
	return w.b, nil
}

// encodeNetworkFlag writes a {int} reply: 1 for true, as libvirt answers
// NetworkIsActive and NetworkGetAutostart.
func encodeNetworkFlag(flag func(network) bool) func(*xdrWriter, network) {
	return func(w *xdrWriter, n network) {
		if flag(n) {
			w.int32(1)
			return
		}
		w.int32(0)
	}
}
