package simfleet

import (
	"fmt"
	"strings"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The VM operations of the simulated hosts: libvirt's DomainLookupByName,
// DomainCreate, DomainResume and DomainDestroy, and Hyper-V's Start-VM,
// Resume-VM and Stop-VM -TurnOff scripts, with the errors the real ones
// give for a VM in the wrong state.

// errOperationInvalid is VIR_ERR_OPERATION_INVALID.
const errOperationInvalid = 55

// Lifecycle events of the operations, as the QEMU driver sends them.
var (
	evResumed   = lifecycle{libvirt.DomainEventResumed, int32(libvirt.DomainEventResumedUnpaused)}
	evDestroyed = lifecycle{libvirt.DomainEventStopped, int32(libvirt.DomainEventStoppedDestroyed)}
)

// vmCall answers the VM procedures; ok is false for any other procedure.
func (c *rpcConn) vmCall(proc uint32, r *xdrReader) ([]byte, *rpcError, bool) {
	switch proc {
	case remote.ProcDomainLookupByName:
		b, err := c.lookupByName(r)
		return b, err, true
	case remote.ProcDomainCreate, remote.ProcDomainResume, remote.ProcDomainDestroy:
		b, err := c.domainOp(r, proc)
		return b, err, true
	}
	return nil, nil, false
}

// lookupByName decodes {remote_nonnull_string name} and answers the domain.
func (c *rpcConn) lookupByName(r *xdrReader) ([]byte, *rpcError) {
	name := r.string(maxName)
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	dom, ok := c.h.domainCopy(func(w *world) (*domain, bool) { return w.domainByName(name) })
	if !ok {
		return nil, &rpcError{code: errNoDomain, domain: fromQemu, msg: fmt.Sprintf("Domain not found: no domain with matching name '%s'", name)}
	}
	var w xdrWriter
	encodeDomain(&w, dom)
	return w.b, nil
}

// domainCopy returns a copy of the domain find picks, read under h.mu.
func (h *Host) domainCopy(find func(*world) (*domain, bool)) (domain, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d, ok := find(&h.w); ok {
		return *d, true
	}
	return domain{}, false
}

// domainOp decodes {remote_nonnull_domain dom}, changes the domain's state
// as the procedure does and emits its lifecycle event.
func (c *rpcConn) domainOp(r *xdrReader, proc uint32) ([]byte, *rpcError) {
	_, uuid := readDomainRef(r)
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.w.domainByUUID(uuid)
	if !ok {
		return nil, &rpcError{code: errNoDomain, domain: fromQemu, msg: "Domain not found"}
	}
	invalid := func(why string) *rpcError {
		return &rpcError{code: errOperationInvalid, domain: fromQemu, msg: "Requested operation is not valid: " + why}
	}
	switch proc {
	case remote.ProcDomainCreate:
		if d.id >= 0 {
			return nil, invalid("domain is already running")
		}
		d.state, d.reason, d.id = libvirt.DomainRunning, int32(libvirt.DomainRunningBooted), h.w.nextDomainID()
		h.emitLocked(*d, evBooted)
	case remote.ProcDomainResume:
		if d.state != libvirt.DomainPaused {
			return nil, invalid("domain is not paused")
		}
		d.state, d.reason = libvirt.DomainRunning, int32(libvirt.DomainRunningUnpaused)
		h.emitLocked(*d, evResumed)
	default:
		if d.id < 0 {
			return nil, invalid("domain is not running")
		}
		d.state, d.reason, d.id = libvirt.DomainShutoff, int32(libvirt.DomainShutoffDestroyed), -1
		h.emitLocked(*d, evDestroyed)
	}
	return nil, nil
}

// hvVMOp is Start-VM, Resume-VM or Stop-VM -TurnOff on a simulated
// Hyper-V host, with the script's own "expected one VM" failure.
func (h *Host) hvVMOp(op, name string) result {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.hv.vm(name)
	if !ok {
		return result{stderr: fmt.Sprintf("expected one VM named %s, found 0\r\n", name), code: 1}
	}
	if h.hv.vmms != svcRunning {
		return result{stderr: "Get-VM : Hyper-V encountered an error trying to access an object.\r\n", code: 1}
	}
	fail := func(cmdlet, state string) result {
		return result{stderr: fmt.Sprintf("%s : '%s' failed to change state: the operation cannot be performed while the object is in its current state (%s).\r\n",
			cmdlet, name, state), code: 1}
	}
	switch op {
	case remote.VMStart:
		if v.state != "Off" {
			return fail("Start-VM", v.state)
		}
		v.state, v.booted = "Running", time.Now()
	case remote.VMResume:
		if !strings.HasPrefix(v.state, "Paused") {
			return fail("Resume-VM", v.state)
		}
		v.state = "Running"
	default:
		if v.state == "Off" {
			return fail("Stop-VM", v.state)
		}
		v.state = "Off"
	}
	return result{}
}

// FirstRunningVM names the host's first running VM ("" if none), the one a
// VM crash would hit: a drill crashes it.
func (h *Host) FirstRunningVM() string { return h.firstRunningVM() }
