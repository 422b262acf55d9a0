package probes

import (
	"encoding/binary"
	"io"
	"net"
)

// A libvirt daemon on the wire, for tests that drive the production
// go-libvirt client: it answers each call from a table of reply bodies by
// procedure number (libvirt's remote_protocol.x), an empty OK body when the
// table has none. Hostile tests put malformed bodies in the table.

// Procedure numbers the tests answer (REMOTE_PROC_*), spelled out here
// rather than taken from the production table so the two check each other.
const (
	wireConnectOpen           = 1
	wireConnectGetType        = 3
	wireConnectGetVersion     = 4
	wireConnectGetHostname    = 59
	wireAuthList              = 66
	wireConnectGetLibVersion  = 157
	wireConnectListAllDomains = 273
	wireConnectListNetworks   = 283
	wireConnectGetAllDomStats = 344
	wireEventLifecycle        = 318
	wireEventRegisterAny      = 316
)

// wireReply is one answer: an OK reply with body, an error reply when
// status is 1, or raw bytes sent as they are; pre and post are sent as
// they are before and after it (e.g. events).
type wireReply struct {
	status    uint32
	body      []byte
	raw       []byte
	pre, post []byte
}

// xdrAppend helpers build reply bodies.
func xdrU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func xdrU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }
func xdrStr(b []byte, s string) []byte {
	b = xdrU32(b, uint32(len(s)))
	b = append(b, s...)
	return append(b, make([]byte, (4-len(s)%4)%4)...)
}

// healthyWire is a daemon with no domains and no networks.
func healthyWire() map[uint32]wireReply {
	return map[uint32]wireReply{
		wireAuthList:              {body: xdrU32(nil, 0)},
		wireConnectGetType:        {body: xdrStr(nil, "QEMU")},
		wireConnectGetHostname:    {body: xdrStr(nil, "hv")},
		wireConnectGetLibVersion:  {body: xdrU64(nil, 9000000)},
		wireConnectGetVersion:     {body: xdrU64(nil, 8002000)},
		wireConnectListAllDomains: {body: xdrU32(xdrU32(nil, 0), 0)},
		wireConnectListNetworks:   {body: xdrU32(xdrU32(nil, 0), 0)},
		wireConnectGetAllDomStats: {body: xdrU32(nil, 0)},
	}
}

// wirePacket frames one message: length, header, body.
func wirePacket(proc, typ, serial, status uint32, body []byte) []byte {
	p := xdrU32(nil, uint32(28+len(body)))
	for _, v := range []uint32{0x20008086, 1, proc, typ, serial, status} {
		p = xdrU32(p, v)
	}
	return append(p, body...)
}

// serveWire answers calls on c until the client goes away.
func serveWire(answers map[uint32]wireReply) func(net.Conn) {
	return func(c net.Conn) {
		defer c.Close()
		var hdr [28]byte
		for {
			if _, err := io.ReadFull(c, hdr[:]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(hdr[:4])
			if n < 28 || n > 1<<20 {
				return
			}
			if _, err := io.CopyN(io.Discard, c, int64(n-28)); err != nil {
				return
			}
			proc, typ, serial := binary.BigEndian.Uint32(hdr[12:]), binary.BigEndian.Uint32(hdr[16:]), binary.BigEndian.Uint32(hdr[20:])
			if typ != 0 {
				continue
			}
			a := answers[proc]
			out := a.raw
			if out == nil {
				out = wirePacket(proc, 1, serial, a.status, a.body)
			}
			out = append(append(append([]byte(nil), a.pre...), out...), a.post...)
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}
