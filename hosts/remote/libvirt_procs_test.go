package remote

import (
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"

	"github.com/digitalocean/go-libvirt"
)

// procRecorder is a libvirt daemon that answers the handshake (auth list
// naming polkit, polkit, open) and refuses every other call with an
// error, recording each call's procedure number in order.
type procRecorder struct {
	conn  net.Conn
	procs chan uint32
}

func (p procRecorder) Dial() (net.Conn, error) { return p.conn, nil }

func (p procRecorder) serve(c net.Conn) {
	defer close(p.procs)
	defer c.Close() // a client waiting on a refused header fails at once
	hdr := make([]byte, 4+HeaderLen)
	for {
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr)
		if n < 4+HeaderLen || n > 1<<16 {
			return
		}
		if _, err := io.CopyN(io.Discard, c, int64(n-4-HeaderLen)); err != nil {
			return
		}
		prog, vers := binary.BigEndian.Uint32(hdr[4:]), binary.BigEndian.Uint32(hdr[8:])
		proc := binary.BigEndian.Uint32(hdr[12:])
		if (prog != RemoteProgram && prog != QEMUProgram) || vers != RemoteVersion ||
			binary.BigEndian.Uint32(hdr[16:]) != MsgCall {
			// Not the header values hvconsole assumes: record an
			// impossible procedure so the test fails.
			p.procs <- ^uint32(0)
			return
		}
		p.procs <- proc
		status, body := uint32(StatusOK), []uint32(nil)
		switch proc {
		case ProcAuthList:
			body = []uint32{1, 2} // one auth type: REMOTE_AUTH_POLKIT
		case ProcAuthPolkit:
			body = []uint32{1} // complete
		case ProcConnectOpen, ProcConnectClose:
		default:
			// remote_error: code, domain, message "no", level, then the
			// absent dom, str1..3, int1, int2 and net.
			status, body = StatusError, []uint32{3, 0, 1, 2, 'n'<<24 | 'o'<<16, 2, 0, 0, 0, 0, 0, 0, 0}
		}
		out := binary.BigEndian.AppendUint32(nil, uint32(4+HeaderLen+4*len(body)))
		out = append(out, hdr[4:12]...) // program, version
		out = binary.BigEndian.AppendUint32(out, proc)
		out = binary.BigEndian.AppendUint32(out, MsgReply)
		out = append(out, hdr[20:24]...) // serial
		out = binary.BigEndian.AppendUint32(out, status)
		for _, v := range body {
			out = binary.BigEndian.AppendUint32(out, v)
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// TestProcNumbers checks every procedure number against the one
// go-libvirt's client sends for the method of that name.
func TestProcNumbers(t *testing.T) {
	client, server := net.Pipe()
	rec := procRecorder{conn: client, procs: make(chan uint32, 64)}
	go rec.serve(server)
	l := libvirt.NewWithDialer(rec)
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		t.Fatalf("connect: %v", err)
	}
	dom, pool, nw := libvirt.Domain{Name: "d"}, libvirt.StoragePool{Name: "p"}, libvirt.Network{Name: "n"}
	calls := []struct {
		proc uint32
		call func() error
	}{
		{ProcConnectGetType, func() error { _, err := l.ConnectGetType(); return err }},
		{ProcConnectGetVersion, func() error { _, err := l.ConnectGetVersion(); return err }},
		{ProcNodeGetInfo, func() error { _, _, _, _, _, _, _, _, err := l.NodeGetInfo(); return err }},
		{ProcConnectGetCapabilities, func() error { _, err := l.ConnectGetCapabilities(); return err }},
		{ProcDomainCreate, func() error { return l.DomainCreate(dom) }},
		{ProcDomainCreateXML, func() error { _, err := l.DomainCreateXML("<domain/>", 0); return err }},
		{QEMUProcDomainAgentCommand, func() error { _, err := l.QEMUDomainAgentCommand(dom, GuestPing, 5, 0); return err }},
		{ProcDomainDestroy, func() error { return l.DomainDestroy(dom) }},
		{ProcDomainGetXMLDesc, func() error { _, err := l.DomainGetXMLDesc(dom, 0); return err }},
		{ProcDomainGetAutostart, func() error { _, err := l.DomainGetAutostart(dom); return err }},
		{ProcDomainGetInfo, func() error { _, _, _, _, _, err := l.DomainGetInfo(dom); return err }},
		{ProcDomainLookupByName, func() error { _, err := l.DomainLookupByName("d"); return err }},
		{ProcDomainResume, func() error { return l.DomainResume(dom) }},
		{ProcNetworkGetAutostart, func() error { _, err := l.NetworkGetAutostart(nw); return err }},
		{ProcConnectGetHostname, func() error { _, err := l.ConnectGetHostname(); return err }},
		{ProcStoragePoolGetInfo, func() error { _, _, _, _, err := l.StoragePoolGetInfo(pool); return err }},
		{ProcStoragePoolGetAutostart, func() error { _, err := l.StoragePoolGetAutostart(pool); return err }},
		{ProcNetworkIsActive, func() error { _, err := l.NetworkIsActive(nw); return err }},
		{ProcConnectGetLibVersion, func() error { _, err := l.ConnectGetLibVersion(); return err }},
		{ProcDomainGetState, func() error { _, _, err := l.DomainGetState(dom, 0); return err }},
		{ProcNodeGetMemoryStats, func() error { _, _, err := l.NodeGetMemoryStats(0, -1, 0); return err }},
		{ProcConnectListAllDomains, func() error { _, _, err := l.ConnectListAllDomains(1, 0); return err }},
		{ProcConnectListAllStoragePools, func() error { _, _, err := l.ConnectListAllStoragePools(1, 0); return err }},
		{ProcConnectListAllNetworks, func() error { _, _, err := l.ConnectListAllNetworks(1, 0); return err }},
		{ProcConnectDomainEventCallbackRegisterAny, func() error {
			_, err := l.ConnectDomainEventCallbackRegisterAny(0, nil)
			return err
		}},
		{ProcConnectDomainEventCallbackDeregisterAny, func() error { return l.ConnectDomainEventCallbackDeregisterAny(1) }},
		{ProcConnectGetAllDomainStats, func() error { _, err := l.ConnectGetAllDomainStats(nil, 1, 0); return err }},
	}
	want := []uint32{ProcAuthList, ProcAuthPolkit, ProcConnectOpen}
	for _, c := range calls {
		if err := c.call(); err == nil {
			t.Errorf("procedure %d: no error from a daemon that refuses it", c.proc)
		}
		want = append(want, c.proc)
	}
	if err := l.Disconnect(); err != nil {
		t.Errorf("disconnect: %v", err)
	}
	want = append(want, ProcConnectClose)
	client.Close()
	var got []uint32
	for p := range rec.procs {
		got = append(got, p)
	}
	if !slices.Equal(got, want) {
		t.Errorf("go-libvirt sent procedures\n%v\nwant\n%v", got, want)
	}
}
