package simfleet

import (
	"fmt"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// maxName bounds strings read from a client (libvirt's REMOTE_STRING_MAX is
// larger; nothing here needs more).
const maxName = 4096

// authNone is REMOTE_AUTH_NONE: the socket needs no authentication.
const authNone = 0

// errNotOpen is libvirtd's answer to a call before ConnectOpen.
var errNotOpen = &rpcError{code: errInternal, domain: fromRPC, msg: "internal error: connection not open"}

// call runs one procedure (remote.Proc*: what go-libvirt's ConnectToURI
// and Disconnect send, and what the probes call) and returns its XDR reply
// body.
func (c *rpcConn) call(proc uint32, args []byte) ([]byte, *rpcError) {
	r := &xdrReader{b: args}
	switch proc {
	case remote.ProcAuthList:
		return c.noArgs(r, func(w *xdrWriter) { w.uint32(1); w.int32(authNone) })
	case remote.ProcConnectOpen:
		return c.connectOpen(r)
	}
	if !c.opened {
		return nil, errNotOpen
	}
	switch proc {
	case remote.ProcConnectClose:
		c.opened = false
		c.h.dropCallbacks(c)
		return c.noArgs(r, func(*xdrWriter) {})
	case remote.ProcConnectGetType:
		return c.noArgs(r, func(w *xdrWriter) { w.string("QEMU") })
	case remote.ProcConnectGetVersion:
		return c.noArgs(r, func(w *xdrWriter) { w.uint64(c.h.lockedWorld().hvVersion) })
	case remote.ProcConnectGetLibVersion:
		return c.noArgs(r, func(w *xdrWriter) { w.uint64(c.h.lockedWorld().libVersion) })
	case remote.ProcConnectGetHostname:
		return c.noArgs(r, func(w *xdrWriter) { w.string(c.h.name) })
	case remote.ProcNodeGetInfo:
		return c.noArgs(r, func(w *xdrWriter) { encodeNodeInfo(w, c.h.lockedWorld().node) })
	case remote.ProcConnectListAllDomains:
		return c.listAllDomains(r)
	case remote.ProcConnectGetAllDomainStats:
		return c.allDomainStats(r)
	case remote.ProcDomainGetState:
		return c.domainCall(r, true, func(w *xdrWriter, d domain) { w.int32(int32(d.state)); w.int32(d.reason) })
	case remote.ProcDomainGetAutostart:
		return c.domainCall(r, false, func(w *xdrWriter, d domain) { w.bool(d.autostart) })
	case remote.ProcDomainGetInfo:
		return c.domainCall(r, false, encodeDomainInfo)
	case remote.ProcNodeGetMemoryStats:
		return c.nodeMemoryStats(r)
	case remote.ProcConnectListAllStoragePools:
		return c.listAllPools(r)
	case remote.ProcStoragePoolGetInfo:
		return c.poolCall(r, encodePoolInfo)
	case remote.ProcStoragePoolGetAutostart:
		return c.poolCall(r, func(w *xdrWriter, p storagePool) { w.bool(p.autostart) })
	case remote.ProcConnectListAllNetworks:
		return c.listAllNetworks(r)
	case remote.ProcNetworkIsActive:
		return c.networkCall(r, encodeNetworkFlag(func(n network) bool { return n.active }))
	case remote.ProcNetworkGetAutostart:
		return c.networkCall(r, encodeNetworkFlag(func(n network) bool { return n.autostart }))
	case remote.ProcConnectDomainEventCallbackRegisterAny:
		return c.registerEvents(r)
	case remote.ProcConnectDomainEventCallbackDeregisterAny:
		return c.deregisterEvents(r)
	}
	if b, err, ok := c.drillCall(proc, r); ok {
		return b, err
	}
	if b, err, ok := c.vmCall(proc, r); ok {
		return b, err
	}
	return nil, &rpcError{code: errNoSupport, domain: fromRPC, msg: fmt.Sprintf("unknown procedure: %d", proc)}
}

// badArgs is libvirtd's answer to a body it cannot decode.
func badArgs(err error) *rpcError {
	return &rpcError{code: errRPC, domain: fromRPC, msg: "Unable to decode message payload: " + err.Error()}
}

// noArgs answers a procedure that takes no arguments.
func (c *rpcConn) noArgs(r *xdrReader, enc func(*xdrWriter)) ([]byte, *rpcError) {
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	var w xdrWriter
	enc(&w)
	return w.b, nil
}

// connectOpen decodes remote_connect_open_args {remote_string name; u_int flags}.
func (c *rpcConn) connectOpen(r *xdrReader) ([]byte, *rpcError) {
	r.optString(maxName)
	r.uint32()
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	c.opened = true
	return nil, nil
}

// lockedWorld returns a copy of the host's world fields (slices shared;
// only for scalar reads).
func (h *Host) lockedWorld() world {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.w
}

func encodeNodeInfo(w *xdrWriter, n nodeInfo) {
	w.charArray(n.model, 32)
	w.uint64(n.memoryKiB)
	for _, v := range []int32{n.cpus, n.mhz, n.nodes, n.sockets, n.cores, n.threads} {
		w.int32(v)
	}
}

// encodeDomain writes remote_nonnull_domain {name, uuid, id}.
func encodeDomain(w *xdrWriter, d domain) {
	writeNamed(w, d.name, d.uuid)
	w.int32(d.id)
}

// readDomainRef reads a remote_nonnull_domain {name, uuid, id}, what
// encodeDomain writes.
func readDomainRef(r *xdrReader) (name string, uuid []byte) {
	name = r.string(maxName)
	uuid = r.fixedOpaque(16)
	r.int32()
	return name, uuid
}

// listAllDomains decodes {int need_results; u_int flags} and returns the
// domains matching the flags (listed; 0: all), then their count.
func (c *rpcConn) listAllDomains(r *xdrReader) ([]byte, *rpcError) {
	need := r.int32()
	flags := libvirt.ConnectListAllDomainsFlags(r.uint32())
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	c.h.mu.Lock()
	var match []domain
	for _, d := range c.h.w.domains {
		if listed(d, flags) {
			match = append(match, d)
		}
	}
	c.h.mu.Unlock()
	var w xdrWriter
	writeList(&w, need, match, encodeDomain)
	return w.b, nil
}

// domainCall decodes {remote_nonnull_domain dom; [u_int flags]}, looks the
// domain up by UUID as libvirtd does and answers with enc.
func (c *rpcConn) domainCall(r *xdrReader, hasFlags bool, enc func(*xdrWriter, domain)) ([]byte, *rpcError) {
	name, uuid := readDomainRef(r)
	if hasFlags {
		r.uint32()
	}
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	dom, ok := c.h.domainCopy(func(w *world) (*domain, bool) { return w.domainByUUID(uuid) })
	if !ok {
		return nil, &rpcError{code: errNoDomain, domain: fromQemu,
			msg: fmt.Sprintf("Domain not found: no domain with matching uuid '%s' (%s)", formatUUID(uuid), name)}
	}
	var w xdrWriter
	enc(&w, dom)
	return w.b, nil
}

// formatUUID renders 16 bytes as a canonical UUID string.
func formatUUID(u []byte) string {
	if len(u) != 16 {
		return ""
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
