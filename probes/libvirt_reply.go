package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// errMalformedReply is the read error go-libvirt sees, and the error every
// pending call of the session ends with, when the daemon sent a packet that
// no libvirt daemon sends: a bad packet length, a reply to no call, or a
// body whose declared counts and lengths do not fit in the bytes received.
// The stream is closed before go-libvirt decodes such a packet.
var errMalformedReply = errors.New("probes: malformed libvirt reply")

// errStatsTooLarge is the domain statistics of a host with more domains
// than maxStatsReply holds: a well-formed reply the pump answers go-libvirt
// with tooLargeReply instead of cutting the stream.
var errStatsTooLarge = errors.New("domain statistics too large")

// tooLargeReply is the error reply the pump hands go-libvirt in place of
// the domain statistics pkt, too large to decode: VIR_ERR_RPC, which
// listVMs takes as a daemon without statistics, so the session reads its
// domains one by one and keeps the first remote.MaxDomains, as it did
// before it asked for statistics.
func tooLargeReply(pkt []byte) []byte {
	body := binary.BigEndian.AppendUint32(nil, uint32(libvirt.ErrRPC))
	body = binary.BigEndian.AppendUint32(body, 0) // domain
	body = binary.BigEndian.AppendUint32(body, 1) // message present
	msg := "domain statistics too large"
	body = binary.BigEndian.AppendUint32(body, uint32(len(msg)))
	body = append(body, msg...)
	body = append(body, make([]byte, padded(len(msg))-len(msg))...)
	body = binary.BigEndian.AppendUint32(body, 2) // VIR_ERR_ERROR
	out := make([]byte, 0, 4+remote.HeaderLen+len(body))
	out = binary.BigEndian.AppendUint32(out, uint32(4+remote.HeaderLen+len(body)))
	out = append(out, pkt[4:4+remote.HeaderLen-4]...) // program .. serial
	out = binary.BigEndian.AppendUint32(out, remote.StatusError)
	return append(out, body...)
}

// go-libvirt's XDR decoder allocates every declared array count and string
// length before reading the data (it sets no size limit), so one 32-byte
// reply claiming 2^31 domains ends the process with "out of memory". The
// pump therefore checks each whole packet against the type go-libvirt will
// decode it into, read from go-libvirt's own generated types: a count or
// length is accepted only when that many encoded elements fit in the bytes
// that remain. Go values cost at most about twice their XDR encoding
// (replyAllocFactor), so a reply can never make us allocate more than a
// small multiple of what the daemon actually sent.

// replyTypes is the body go-libvirt decodes for each procedure we call.
// A reply to a procedure missing here is refused: add the procedure when
// a probe starts calling it (go-libvirt's remote_protocol.gen.go names the
// ...Ret type; a procedure without one has an empty reply).
var replyTypes = map[uint32]reflect.Type{
	remote.ProcConnectOpen:                           reflect.TypeFor[struct{}](),
	remote.ProcConnectClose:                          reflect.TypeFor[struct{}](),
	remote.ProcConnectGetType:                        reflect.TypeFor[libvirt.ConnectGetTypeRet](),
	remote.ProcConnectGetVersion:                     reflect.TypeFor[libvirt.ConnectGetVersionRet](),
	remote.ProcDomainCreate:                          reflect.TypeFor[struct{}](),
	remote.ProcDomainCreateXML:                       reflect.TypeFor[libvirt.DomainCreateXMLRet](),
	remote.ProcDomainResume:                          reflect.TypeFor[struct{}](),
	remote.ProcDomainDestroy:                         reflect.TypeFor[struct{}](),
	remote.ProcDomainLookupByName:                    reflect.TypeFor[libvirt.DomainLookupByNameRet](),
	remote.ProcConnectGetCapabilities:                reflect.TypeFor[libvirt.ConnectGetCapabilitiesRet](),
	remote.ProcNodeGetInfo:                           reflect.TypeFor[libvirt.NodeGetInfoRet](),
	remote.ProcDomainGetXMLDesc:                      reflect.TypeFor[libvirt.DomainGetXMLDescRet](),
	remote.ProcDomainGetAutostart:                    reflect.TypeFor[libvirt.DomainGetAutostartRet](),
	remote.ProcDomainGetInfo:                         reflect.TypeFor[libvirt.DomainGetInfoRet](),
	remote.ProcConnectGetHostname:                    reflect.TypeFor[libvirt.ConnectGetHostnameRet](),
	remote.ProcAuthList:                              reflect.TypeFor[libvirt.AuthListRet](),
	remote.ProcAuthPolkit:                            reflect.TypeFor[libvirt.AuthPolkitRet](),
	remote.ProcStoragePoolGetInfo:                    reflect.TypeFor[libvirt.StoragePoolGetInfoRet](),
	remote.ProcStoragePoolGetAutostart:               reflect.TypeFor[libvirt.StoragePoolGetAutostartRet](),
	remote.ProcConnectGetLibVersion:                  reflect.TypeFor[libvirt.ConnectGetLibVersionRet](),
	remote.ProcDomainGetState:                        reflect.TypeFor[libvirt.DomainGetStateRet](),
	remote.ProcNodeGetMemoryStats:                    reflect.TypeFor[libvirt.NodeGetMemoryStatsRet](),
	remote.ProcConnectListAllDomains:                 reflect.TypeFor[libvirt.ConnectListAllDomainsRet](),
	remote.ProcConnectListAllStoragePools:            reflect.TypeFor[libvirt.ConnectListAllStoragePoolsRet](),
	remote.ProcConnectListAllNetworks:                reflect.TypeFor[libvirt.ConnectListAllNetworksRet](),
	remote.ProcConnectDomainEventCallbackRegisterAny: reflect.TypeFor[libvirt.ConnectDomainEventCallbackRegisterAnyRet](),
	remote.ProcConnectGetAllDomainStats:              reflect.TypeFor[libvirt.ConnectGetAllDomainStatsRet](),
}

// Typed parameters (the domain statistics) cost go-libvirt far more than
// their encoding: each one is decoded through a custom decoder that boxes
// its value and the parameter itself, up to typedParamAllocFactor times its
// 12 encoded bytes, so the one reply made of them has a bound of its own on
// its length (maxStatsReply: 4,096 domains with the state group take under
// 1 MiB), and at most typedParamAllocFactor times that is allocated.
const (
	maxStatsReply         = 2 << 20
	typedParamAllocFactor = 12
	// typedParamBoxes is what decoding one parameter allocates beyond
	// its slice element and strings: the *TypedParamValue, the boxed
	// TypedParam handed to reflect, and the boxed value.
	typedParamBoxes = 24 + 48 + 16
)

var typedParamType = reflect.TypeFor[libvirt.TypedParam]()

// allocBound is the most a checked body of n bytes of type t may make
// go-libvirt allocate.
func allocBound(t reflect.Type, n int) int {
	if t == reflect.TypeFor[libvirt.ConnectGetAllDomainStatsRet]() {
		return typedParamAllocFactor * n
	}
	return replyAllocFactor * n
}

// qemuReplyTypes is replyTypes for the QEMU program's procedures (the
// boot drill's guest-ping).
var qemuReplyTypes = map[uint32]reflect.Type{
	remote.QEMUProcDomainAgentCommand: reflect.TypeFor[libvirt.QEMUDomainAgentCommandRet](),
}

// errorReply mirrors what go-libvirt's decodeError reads of remote_error:
// the optional message's presence flag is its Padding.
type errorReply struct {
	Code, DomainID uint32
	Padding        uint8
	Message        string
	Level          uint32
}

var errorReplyType = reflect.TypeFor[errorReply]()

// replyGuard follows the calls go-libvirt sends, so each incoming packet is
// checked against the procedure it answers. It is safe for concurrent use.
type replyGuard struct {
	mu      sync.Mutex
	out     packetSplitter         // the outgoing stream, to read call headers
	pending map[uint32]pendingCall // serial -> each call in flight
	// extra adds reply types to replyTypes, for tests that change a lab
	// host's world through the connection a check uses.
	extra map[uint32]reflect.Type
}

// sent records the calls in bytes go-libvirt writes.
func (g *replyGuard) sent(p []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.out.feed(p, func(pkt []byte) error {
		h := readHeader(pkt)
		if h.typ == remote.MsgCall {
			if g.pending == nil {
				g.pending = map[uint32]pendingCall{}
			}
			g.pending[h.serial] = pendingCall{h.program, h.proc}
		}
		return nil
	})
}

// pendingCall is the program and procedure a call in flight asked for.
type pendingCall struct{ program, proc uint32 }

// rpcHeader is the part of a libvirt packet header the guard reads.
type rpcHeader struct {
	program, proc, typ, serial, status uint32
}

// readHeader reads the header of a whole packet (length word first).
func readHeader(pkt []byte) rpcHeader {
	u := func(i int) uint32 { return binary.BigEndian.Uint32(pkt[4+4*i:]) }
	return rpcHeader{program: u(0), proc: u(2), typ: u(3), serial: u(4), status: u(5)}
}

// check accepts a whole incoming packet only when go-libvirt can decode it
// without allocating more than the packet holds. go-libvirt is handed
// replies only: the pump decodes the lifecycle events itself (deliver), and
// any other unsolicited message is refused.
func (g *replyGuard) check(pkt []byte) error {
	h, body := readHeader(pkt), pkt[4+remote.HeaderLen:]
	if h.program != remote.RemoteProgram && h.program != remote.QEMUProgram {
		return fmt.Errorf("%w: program %#x", errMalformedReply, h.program)
	}
	if h.typ != remote.MsgReply {
		return fmt.Errorf("%w: message type %d for procedure %d", errMalformedReply, h.typ, h.proc)
	}
	g.mu.Lock()
	want, ok := g.pending[h.serial]
	extra := g.extra
	delete(g.pending, h.serial)
	g.mu.Unlock()
	switch {
	case !ok:
		return fmt.Errorf("%w: reply %d answers no call", errMalformedReply, h.serial)
	case want != pendingCall{h.program, h.proc}:
		return fmt.Errorf("%w: reply to procedure %#x/%d names procedure %#x/%d", errMalformedReply,
			want.program, want.proc, h.program, h.proc)
	case h.status == remote.StatusError:
		return checkBody(errorReplyType, body, false)
	case h.status != remote.StatusOK:
		return fmt.Errorf("%w: status %d for procedure %d", errMalformedReply, h.status, h.proc)
	}
	types := replyTypes
	if h.program == remote.QEMUProgram {
		types, extra = qemuReplyTypes, nil
	}
	t, ok := types[h.proc]
	if !ok {
		t, ok = extra[h.proc]
	}
	if !ok {
		return fmt.Errorf("%w: procedure %d has no reply check", errMalformedReply, h.proc)
	}
	if h.proc == remote.ProcConnectGetAllDomainStats && len(body) > maxStatsReply {
		return fmt.Errorf("%w: %w: %d bytes (at most %d)", errMalformedReply, errStatsTooLarge, len(body), maxStatsReply)
	}
	return checkBody(t, body, true)
}

// checkBody walks body as XDR of type t; exact requires that nothing is
// left over.
func checkBody(t reflect.Type, body []byte, exact bool) error {
	w := xdrWalker{b: body}
	if err := w.walk(t, false); err != nil {
		return fmt.Errorf("%w: %s: %w", errMalformedReply, t, err)
	}
	if exact && len(w.b) > 0 {
		return fmt.Errorf("%w: %s: %d bytes left over", errMalformedReply, t, len(w.b))
	}
	return nil
}

// Errors of the XDR walk.
var (
	errShort       = errors.New("declared data exceeds the bytes received")
	errUnsupported = errors.New("type not checked")
	errParamType   = errors.New("typed parameter of no known type")
)

// replyAllocFactor bounds the Go memory go-libvirt allocates for a checked
// body, relative to the body's length (the worst case is a list of structs
// whose encoding is smaller than their Go value, e.g. 24 bytes for a 40-byte
// libvirt.Domain); allocBound is what the fuzz test holds the walk to.
const replyAllocFactor = 2

// xdrWalker follows the rules of go-libvirt's decoder (internal/go-xdr) over
// a body without allocating: 4-byte integers (also for 8- and 16-bit
// types), 8-byte hypers, length-prefixed strings and opaques padded to 4
// bytes, counted arrays, fixed arrays, structs field by field. alloc sums
// what the decoder would allocate.
type xdrWalker struct {
	b     []byte
	alloc int
}

func (w *xdrWalker) take(n int) error {
	if n < 0 || n > len(w.b) {
		return errShort
	}
	w.b = w.b[n:]
	return nil
}

func (w *xdrWalker) count() (int, error) {
	if len(w.b) < 4 {
		return 0, errShort
	}
	u := binary.BigEndian.Uint32(w.b)
	if u > math.MaxInt32 {
		// more than any packet holds (maxPacket), and negative as an int
		// where int has 32 bits
		return 0, errShort
	}
	w.b = w.b[4:]
	return int(u), nil
}

func padded(n int) int { return (n + 3) &^ 3 }

// walk consumes one value of type t; opaque bytes are read as one padded
// run unless elementwise is set (go-libvirt's `xdropaque:"false"` tag).
func (w *xdrWalker) walk(t reflect.Type, elementwise bool) error {
	switch t.Kind() {
	case reflect.Bool, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint, reflect.Float32:
		return w.take(4)
	case reflect.Int64, reflect.Uint64, reflect.Float64:
		return w.take(8)
	case reflect.String:
		n, err := w.count()
		if err != nil {
			return err
		}
		w.alloc += n
		return w.take(padded(n))
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && !elementwise {
			return w.take(padded(t.Len()))
		}
		return w.elements(t.Elem(), t.Len())
	case reflect.Slice:
		n, err := w.count()
		if err != nil {
			return err
		}
		if t.Elem().Kind() == reflect.Uint8 && !elementwise {
			w.alloc += n
			return w.take(padded(n))
		}
		if m := xdrMinSize(t.Elem()); n > 0 && (m == 0 || n > len(w.b)/m) {
			return errShort
		}
		w.alloc += n * int(t.Elem().Size())
		return w.elements(t.Elem(), n)
	case reflect.Struct:
		if t == typedParamType {
			return w.typedParam()
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if err := w.walk(f.Type, f.Tag.Get("xdropaque") == "false"); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: %s", errUnsupported, t)
}

// typedParam consumes one typed parameter as go-libvirt's typedParamDecoder
// reads it: the name, a discriminant, then an int, unsigned, long long,
// unsigned long long, double, boolean or string (virTypedParameterType 1-7).
func (w *xdrWalker) typedParam() error {
	if err := w.walk(reflect.TypeFor[string](), false); err != nil {
		return err
	}
	d, err := w.count()
	if err != nil {
		return err
	}
	w.alloc += typedParamBoxes
	switch d {
	case 1, 2, 6:
		return w.take(4)
	case 3, 4, 5:
		return w.take(8)
	case 7:
		return w.walk(reflect.TypeFor[string](), false)
	}
	return fmt.Errorf("%w: %d", errParamType, d)
}

func (w *xdrWalker) elements(t reflect.Type, n int) error {
	for range n {
		if err := w.walk(t, false); err != nil {
			return err
		}
	}
	return nil
}

// xdrMinSize is the fewest bytes one value of t takes on the wire.
func xdrMinSize(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Int64, reflect.Uint64, reflect.Float64:
		return 8
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return padded(t.Len())
		}
		return t.Len() * xdrMinSize(t.Elem())
	case reflect.Struct:
		n := 0
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				n += xdrMinSize(t.Field(i).Type)
			}
		}
		return n
	}
	return 4 // integers, and the count word of strings and slices
}
