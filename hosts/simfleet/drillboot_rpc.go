package simfleet

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"strings"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// libvirt errors of the boot drill's procedures (virterror.h).
const (
	errAgentUnresponsive = 86
	errOperationFailed   = 9
	fromDomain           = 20 // VIR_FROM_DOMAIN
)

// The capabilities a simulated host reports: an x86_64 hvm guest under
// TCG, and under KVM too unless DrillFaults.NoKVM.
const (
	capsHead = `<capabilities><host><cpu><arch>x86_64</arch></cpu>` +
		`<secmodel><model>apparmor</model><doi>0</doi></secmodel>` +
		`<secmodel><model>dac</model><doi>0</doi><baselabel type='kvm'>+64055:+64055</baselabel></secmodel></host>` +
		`<guest><os_type>hvm</os_type><arch name='x86_64'><domain type='qemu'/>`
	capsKVM  = `<domain type='kvm'/>`
	capsTail = `</arch></guest></capabilities>`
)

// drillCall answers the boot drill's procedures of the remote program; ok
// is false for any other, and for a lookup or destroy of a domain that is
// not a drill domain (the VM procedures answer those).
func (c *rpcConn) drillCall(proc uint32, r *xdrReader) ([]byte, *rpcError, bool) {
	switch proc {
	case remote.ProcConnectGetCapabilities:
		b, err := c.noArgs(r, func(w *xdrWriter) {
			c.h.mu.Lock()
			kvm := !c.h.drill.faults.NoKVM
			c.h.mu.Unlock()
			w.string(capsHead + map[bool]string{true: capsKVM}[kvm] + capsTail)
		})
		return b, err, true
	case remote.ProcDomainCreateXML:
		b, err := c.createXML(r)
		return b, err, true
	case remote.ProcDomainLookupByName:
		peek := *r
		name := peek.string(maxName)
		d, ok := c.h.drillDomain(name)
		if !ok {
			return nil, nil, false
		}
		if err := peek.end(); err != nil {
			return nil, badArgs(err), true
		}
		var w xdrWriter
		encodeDomain(&w, d)
		return w.b, nil, true
	case remote.ProcDomainDestroy:
		peek := *r
		_, uuid := readDomainRef(&peek)
		if !c.h.isDrillDomain(func(d *drillDomain) bool { return bytes.Equal(d.d.uuid[:], uuid) }) {
			return nil, nil, false
		}
		b, err := c.destroyDrill(r)
		return b, err, true
	}
	return nil, nil, false
}

// drillDomain is a copy of the drill domain name.
func (h *Host) drillDomain(name string) (domain, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := h.drill.domains[name]; d != nil {
		return d.d, true
	}
	return domain{}, false
}

// isDrillDomain reports whether a drill domain matches.
func (h *Host) isDrillDomain(match func(*drillDomain) bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.drill.domains {
		if match(d) {
			return true
		}
	}
	return false
}

// createXML decodes {string xml_desc; u_int flags}, starts the transient
// domain the XML describes and answers it.
func (c *rpcConn) createXML(r *xdrReader) ([]byte, *rpcError) {
	doc := r.string(1 << 16)
	flags := r.uint32()
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	var x struct {
		Type   string `xml:"type,attr"`
		Name   string `xml:"name"`
		Source struct {
			File string `xml:"file,attr"`
		} `xml:"devices>disk>source"`
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil || x.Name == "" {
		return nil, &rpcError{code: errXMLError, domain: fromDomain, msg: "XML error: cannot parse the domain"}
	}
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drill.xml = doc
	_, haveDisk := h.drill.files[x.Source.File]
	switch {
	case x.Type == "kvm" && h.drill.faults.NoKVM:
		return nil, &rpcError{code: errNoSupport, domain: fromQemu, msg: "unsupported configuration: Domain requires KVM, but it is not available"}
	case !haveDisk:
		return nil, &rpcError{code: errOperationFailed, domain: fromQemu,
			msg: "Cannot access storage file '" + x.Source.File + "': No such file or directory"}
	case h.drill.faults.CreateFails:
		return nil, &rpcError{code: errOperationFailed, domain: fromQemu,
			msg: "operation failed: process exited while connecting to monitor: simulated failure"}
	case h.drill.domains[x.Name] != nil:
		return nil, &rpcError{code: errOperationFailed, domain: fromQemu, msg: "operation failed: domain '" + x.Name + "' already exists"}
	}
	d := domain{name: x.Name, state: libvirt.DomainRunning, reason: int32(libvirt.DomainRunningBooted), id: h.w.nextDomainID() + 1000}
	_, _ = rand.Read(d.uuid[:])
	if h.drill.domains == nil {
		h.drill.domains = map[string]*drillDomain{}
	}
	h.drill.domains[x.Name] = &drillDomain{d: d, owner: c, autodestroy: flags&uint32(libvirt.DomainStartAutodestroy) != 0}
	var w xdrWriter
	encodeDomain(&w, d)
	return w.b, nil
}

// errXMLError is VIR_ERR_XML_ERROR.
const errXMLError = 27

// destroyDrill decodes {remote_nonnull_domain dom} and destroys the drill
// domain: a transient domain is gone once it stops.
func (c *rpcConn) destroyDrill(r *xdrReader) ([]byte, *rpcError) {
	name, _ := readDomainRef(r)
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.drill.faults.DestroyFails {
		return nil, &rpcError{code: errOperationFailed, domain: fromQemu,
			msg: "operation failed: Failed to terminate process: Device or resource busy"}
	}
	delete(h.drill.domains, name)
	return nil, nil
}

// dropDrillDomains destroys the autodestroy domains c started, as libvirtd
// does when the connection that started them closes (unless destroying
// fails: DrillFaults.DestroyFails).
func (h *Host) dropDrillDomains(c *rpcConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.drill.faults.DestroyFails {
		return
	}
	for n, d := range h.drill.domains {
		if d.owner == c && d.autodestroy {
			delete(h.drill.domains, n)
		}
	}
}

// qemuCall answers the QEMU program: only QEMU_PROC_DOMAIN_AGENT_COMMAND,
// {remote_nonnull_domain dom; string cmd; int timeout; u_int flags}.
func (c *rpcConn) qemuCall(proc uint32, body []byte) ([]byte, *rpcError) {
	if proc != remote.QEMUProcDomainAgentCommand {
		return nil, &rpcError{code: errNoSupport, domain: fromRPC, msg: "unknown QEMU procedure"}
	}
	if !c.opened {
		return nil, errNotOpen
	}
	r := &xdrReader{b: body}
	name, _ := readDomainRef(r)
	cmd := r.string(maxName)
	r.int32()
	r.uint32()
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	reply, rerr, drop := c.h.agentAnswer(name, cmd)
	switch {
	case drop.DropLink && drop.LinkStaysDown:
		c.h.SetUnreachable(true)
	case drop.DropLink:
		c.h.dropConns()
	}
	if rerr != nil {
		return nil, rerr
	}
	var w xdrWriter
	w.optString(&reply)
	return w.b, nil
}

// dropConns closes every open SSH connection of the host; new ones are
// accepted (a link that drops once).
func (h *Host) dropConns() {
	h.mu.Lock()
	conns := h.takeConns()
	h.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// agentAnswer is the guest agent's answer to cmd in domain name, and the
// faults to apply after it (a dropped link).
func (h *Host) agentAnswer(name, cmd string) (string, *rpcError, DrillFaults) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.drill.faults
	noDomain := &rpcError{code: errNoDomain, domain: fromQemu, msg: "Domain not found: no domain with matching name '" + name + "'"}
	if h.drill.domains[name] == nil {
		return "", noDomain, DrillFaults{}
	}
	h.drill.pings++
	if f.GuestStops {
		delete(h.drill.domains, name)
		return "", noDomain, DrillFaults{}
	}
	unresponsive := &rpcError{code: errAgentUnresponsive, domain: fromQemu,
		msg: "Guest agent is not responding: QEMU guest agent is not connected"}
	switch {
	case f.DropLink:
		h.drill.faults.DropLink = false
		return "", unresponsive, f
	case f.AgentNever || h.drill.pings <= f.AgentAfter:
		return "", unresponsive, DrillFaults{}
	case !strings.Contains(cmd, "guest-ping"):
		return `{"error":{"class":"CommandNotFound","desc":"not simulated"}}`, nil, DrillFaults{}
	case f.AgentError != "":
		b, _ := json.Marshal(map[string]map[string]string{"error": {"class": "GenericError", "desc": f.AgentError}})
		return string(b), nil, DrillFaults{}
	case f.AgentGarbage:
		return "\x1b[2Jnot json", nil, DrillFaults{}
	}
	return `{"return":{}}`, nil, DrillFaults{}
}
