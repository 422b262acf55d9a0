package simfleet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The libvirt remote protocol as libvirtd speaks it on its unix socket
// (src/rpc/virnetprotocol.x): each message is a 4-byte big-endian length
// (counting itself), a 24-byte header and an XDR body.

// The keepalive program (virkeepaliveprotocol.x); the header values are
// hosts/remote's.
const (
	keepaliveProgram = 0x6b656570 // "keep"
	keepaliveVersion = 1
	keepalivePing    = 1
	keepalivePong    = 2

	// maxFrame bounds an incoming message; no simulated procedure takes
	// more than a few hundred bytes (libvirtd allows 32 MiB).
	maxFrame = 1 << 20
)

// errFrame is returned for a message that cannot be framed: the server
// drops the connection, as libvirtd does.
var errFrame = errors.New("simfleet: bad libvirt rpc frame")

// rpcHeader is a libvirt message header.
type rpcHeader struct {
	program, version, procedure, typ uint32
	serial                           uint32
	status                           uint32
}

// readFrame reads one message into buf (grown as needed) and returns its
// header and body; body aliases buf.
func readFrame(r io.Reader, buf []byte) (rpcHeader, []byte, []byte, error) {
	var lenb [4]byte
	if _, err := io.ReadFull(r, lenb[:]); err != nil {
		return rpcHeader{}, nil, buf, err
	}
	n := binary.BigEndian.Uint32(lenb[:])
	if n < 4+remote.HeaderLen || n > maxFrame {
		return rpcHeader{}, nil, buf, fmt.Errorf("%w: length %d", errFrame, n)
	}
	if cap(buf) < int(n)-4 {
		buf = make([]byte, n-4)
	}
	buf = buf[:n-4]
	if _, err := io.ReadFull(r, buf); err != nil {
		return rpcHeader{}, nil, buf, fmt.Errorf("%w: %w", errFrame, err)
	}
	return decodeHeader(buf), buf[remote.HeaderLen:], buf, nil
}

func decodeHeader(b []byte) rpcHeader {
	u := func(i int) uint32 { return binary.BigEndian.Uint32(b[4*i:]) }
	return rpcHeader{u(0), u(1), u(2), u(3), u(4), u(5)}
}

// appendFrame appends a whole message (length, header, body) to dst.
func appendFrame(dst []byte, h rpcHeader, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(4+remote.HeaderLen+len(body)))
	for _, v := range []uint32{h.program, h.version, h.procedure, h.typ, h.serial, h.status} {
		dst = binary.BigEndian.AppendUint32(dst, v)
	}
	return append(dst, body...)
}

// rpcConn is one client connection to a simulated libvirtd.
type rpcConn struct {
	h *Host
	// opened is set by ConnectOpen; libvirtd refuses most calls before it.
	opened bool
	// events carries pushed event frames to the connection's writer;
	// emitters never block on it (events.go).
	events chan []byte
	// callbacks are the event registrations by id and lastCallback the
	// last id given; h.mu guards both.
	callbacks    map[int32]eventCallback
	lastCallback int32
}

func newRPCConn(h *Host) *rpcConn {
	return &rpcConn{h: h, events: make(chan []byte, eventQueueLen)}
}

// serve answers calls until the stream ends or a frame is malformed. Every
// call gets a reply: unknown procedures get libvirt's VIR_ERR_NO_SUPPORT
// error, never silence, so a client never waits forever. One writer
// goroutine, owned here, sends both replies and pushed events, so frames
// never interleave; serve returns only after it has exited. When reading
// ends, rw is closed if it can be, so a writer stuck on a peer that stopped
// reading returns too.
func (c *rpcConn) serve(rw io.ReadWriter) error {
	defer c.h.dropCallbacks(c)
	defer c.h.dropDrillDomains(c)
	replies := make(chan []byte)
	stop, done := make(chan struct{}), make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		werr = c.writeLoop(rw, replies, stop)
	}()
	rerr := c.readLoop(rw, replies, done)
	close(stop)
	if cl, ok := rw.(io.Closer); ok {
		select {
		case <-done:
		default:
			cl.Close()
		}
	}
	<-done
	if werr != nil {
		return werr
	}
	return rerr
}

// readLoop reads and answers messages, handing each reply to the writer;
// it returns when reading fails or the writer has stopped.
func (c *rpcConn) readLoop(r io.Reader, replies chan<- []byte, writerDone <-chan struct{}) error {
	var in []byte
	for {
		hdr, body, buf, err := readFrame(r, in)
		in = buf
		if err != nil {
			return err
		}
		reply, ok := c.handle(hdr, body)
		if !ok {
			continue
		}
		select {
		case replies <- appendFrame(nil, reply.hdr, reply.body):
		case <-writerDone:
			return nil
		}
	}
}

// writeLoop writes replies and queued events as they come until stop
// closes or a write fails. Replies keep their order, events theirs; how a
// reply and an event interleave is not promised (nor is it by libvirtd).
func (c *rpcConn) writeLoop(w io.Writer, replies <-chan []byte, stop <-chan struct{}) error {
	for {
		var frame []byte
		select {
		case frame = <-replies:
		case frame = <-c.events:
		case <-stop:
			return nil
		}
		if _, err := w.Write(frame); err != nil {
			return fmt.Errorf("simfleet: write libvirt message: %w", err)
		}
	}
}

// rpcReply is a reply header and body.
type rpcReply struct {
	hdr  rpcHeader
	body []byte
}

// handle answers one message; ok is false when no reply is due.
func (c *rpcConn) handle(h rpcHeader, body []byte) (rpcReply, bool) {
	if h.program == keepaliveProgram && h.version == keepaliveVersion {
		if h.typ == remote.MsgMessage && h.procedure == keepalivePing {
			return rpcReply{hdr: rpcHeader{program: keepaliveProgram, version: keepaliveVersion,
				procedure: keepalivePong, typ: remote.MsgMessage}}, true
		}
		return rpcReply{}, false
	}
	if h.typ != remote.MsgCall {
		return rpcReply{}, false // stream data or stray replies: nothing to answer
	}
	reply := rpcReply{hdr: h}
	reply.hdr.typ = remote.MsgReply
	var err *rpcError
	if h.program == remote.QEMUProgram && h.version == remote.RemoteVersion {
		reply.body, err = c.qemuCall(h.procedure, body)
	} else if h.program != remote.RemoteProgram || h.version != remote.RemoteVersion {
		err = &rpcError{code: errRPC, domain: fromRPC,
			msg: fmt.Sprintf("cannot find program %d version %d", h.program, h.version)}
	} else {
		reply.body, err = c.call(h.procedure, body)
	}
	reply.hdr.status = remote.StatusOK
	if err != nil {
		reply.hdr.status, reply.body = remote.StatusError, err.encode()
	}
	return reply, true
}

// libvirt error numbers and domains used by the simulated daemon
// (virterror.h; go-libvirt keeps the domains unexported).
const (
	errInternal   = 1
	errNoSupport  = 3
	errRPC        = 39
	errNoDomain   = 42
	errInvalidArg = 8
	fromRPC       = 7
	fromQemu      = 10
	fromRemote    = 13
	errLevelError = 2
)

// rpcError is libvirt's remote_error, sent as an error reply's body.
type rpcError struct {
	code, domain int32
	msg          string
}

func (e *rpcError) Error() string { return e.msg }

// encode writes remote_error: code, domain, message, level, dom, str1..3,
// int1, int2, net, with the optional fields libvirtd fills.
func (e *rpcError) encode() []byte {
	var w xdrWriter
	w.int32(e.code)
	w.int32(e.domain)
	w.optString(&e.msg)
	w.int32(errLevelError)
	w.bool(false) // dom
	w.optString(&e.msg)
	w.bool(false) // str2
	w.bool(false) // str3
	w.int32(-1)
	w.int32(-1)
	w.bool(false) // net
	return w.b
}
