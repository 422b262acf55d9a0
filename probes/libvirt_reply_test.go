package probes

import (
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Every reply type in the table can be checked: its smallest encoding
// (zero counts, empty strings) passes, one byte less does not.
func TestReplyTypesWalkable(t *testing.T) {
	for proc, typ := range replyTypes {
		body := make([]byte, xdrMinSize(typ))
		if err := checkBody(typ, body, true); err != nil {
			t.Errorf("procedure %d (%s): %v", proc, typ, err)
		}
		if len(body) > 0 {
			if err := checkBody(typ, body[1:], true); !errors.Is(err, errMalformedReply) {
				t.Errorf("procedure %d (%s) one byte short: %v", proc, typ, err)
			}
		}
	}
}

// domainList encodes a ConnectListAllDomains reply of n domains.
func domainList(n int, name string) []byte {
	b := xdrU32(nil, uint32(n))
	for i := range n {
		b = xdrStr(b, name)
		b = append(b, make([]byte, 16)...) // UUID
		b = xdrU32(b, uint32(i))
	}
	return xdrU32(b, uint32(n))
}

func TestCheckBody(t *testing.T) {
	domains := reflect.TypeFor[libvirt.ConnectListAllDomainsRet]()
	tests := []struct {
		name  string
		typ   reflect.Type
		body  []byte
		exact bool
		ok    bool
	}{
		{"two domains", domains, domainList(2, "web"), true, true},
		{"count over the data", domains, xdrU32(nil, 0x7fffffff), true, false},
		{"count one over", domains, xdrU32(domainList(2, "db")[4:], 3), true, false},
		{"name longer than the data", domains, xdrU32(xdrU32(nil, 1), 0xfffffff0), true, false},
		{"trailing bytes", domains, append(domainList(1, "a"), 0, 0, 0, 0), true, false},
		{"string fits", reflect.TypeFor[libvirt.ConnectGetTypeRet](), xdrStr(nil, "QEMU"), true, true},
		{"string padding missing", reflect.TypeFor[libvirt.ConnectGetTypeRet](), xdrStr(nil, "QEM")[:7], true, false},
		{"node info model is 32 words", reflect.TypeFor[libvirt.NodeGetInfoRet](), make([]byte, 32*4+8+6*4), true, true},
		{"error reply, extra fields allowed", errorReplyType,
			append(xdrU32(xdrStr(xdrU32(xdrU32(xdrU32(nil, 1), 10), 1), "no"), 2), 0, 0, 0, 0), false, true},
		{"error reply, 2 GiB message", errorReplyType, xdrU32(xdrU32(xdrU32(xdrU32(nil, 1), 10), 1), 0x7ffffffc), false, false},
		{"empty reply with data", reflect.TypeFor[struct{}](), []byte{0, 0, 0, 0}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBody(tt.typ, tt.body, tt.exact)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, errMalformedReply)) {
				t.Errorf("checkBody = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// The guard matches replies to the calls written, by serial and procedure.
func TestReplyGuard(t *testing.T) {
	okType := xdrStr(nil, "QEMU")
	// callback 7; domain "web", a zero UUID, id 0; event 5, detail 1.
	life := append(xdrStr(xdrU32(nil, 7), "web"), make([]byte, 16)...)
	life = xdrU32(xdrU32(xdrU32(life, 0), 5), 1)
	tests := []struct {
		name string
		pkt  []byte
		ok   bool
	}{
		{"reply to the call", wirePacket(wireConnectGetType, remote.MsgReply, 9, 0, okType), true},
		{"error reply to the call", wirePacket(wireConnectGetType, remote.MsgReply, 9, 1, xdrU32(xdrStr(xdrU32(xdrU32(xdrU32(nil, 1), 10), 1), "no"), 2)), true},
		{"reply to no call", wirePacket(wireConnectGetType, remote.MsgReply, 8, 0, okType), false},
		{"reply naming another procedure", wirePacket(wireConnectGetHostname, remote.MsgReply, 9, 0, okType), false},
		{"stream data", wirePacket(wireConnectGetType, 3, 9, 2, okType), false},
		{"continue status", wirePacket(wireConnectGetType, remote.MsgReply, 9, 2, okType), false},
		// the pump decodes lifecycle events (TestPumpLifecycleEvents)
		{"lifecycle event", wirePacket(wireEventLifecycle, remote.MsgMessage, 0, 0, life), false},
		{"other event", wirePacket(wireEventLifecycle+1, remote.MsgMessage, 0, 0, life), false},
		{"event posing as a reply", wirePacket(wireEventLifecycle, remote.MsgReply, 9, 0, life), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g replyGuard
			call := wirePacket(wireConnectGetType, remote.MsgCall, 9, 0, nil)
			for _, part := range [][]byte{call[:5], call[5:]} { // a call split across writes
				if err := g.sent(part); err != nil {
					t.Fatal(err)
				}
			}
			err := g.check(tt.pkt)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, errMalformedReply)) {
				t.Errorf("check = %v, want ok %v", err, tt.ok)
			}
		})
	}
	var g replyGuard
	g.sent(wirePacket(wireConnectGetType, remote.MsgCall, 1, 0, nil))
	reply := wirePacket(wireConnectGetType, remote.MsgReply, 1, 0, okType)
	if err := g.check(reply); err != nil {
		t.Fatal(err)
	}
	if err := g.check(reply); !errors.Is(err, errMalformedReply) {
		t.Errorf("second reply to one call = %v, want ErrMalformedReply", err)
	}
}

// Checking a reply allocates nothing, whatever its size.
func TestCheckBodyAllocs(t *testing.T) {
	typ, body := reflect.TypeFor[libvirt.ConnectListAllDomainsRet](), domainList(1000, "guest-name")
	if n := testing.AllocsPerRun(20, func() { checkBody(typ, body, true) }); n != 0 {
		t.Errorf("checkBody allocated %v times", n)
	}
}

// replyTypeList is replyTypes in a fixed order, plus the error reply, for
// the fuzz target.
func replyTypeList() []reflect.Type {
	procs := make([]uint32, 0, len(replyTypes))
	for p := range replyTypes {
		procs = append(procs, p)
	}
	slices.Sort(procs)
	out := []reflect.Type{errorReplyType}
	for _, p := range procs {
		out = append(out, replyTypes[p])
	}
	return out
}

// Whatever body a daemon sends, an accepted one makes go-libvirt allocate
// at most allocBound of its length.
func FuzzCheckBody(f *testing.F) {
	f.Add(uint8(0), domainList(3, "web"))
	f.Add(uint8(5), xdrU32(nil, 0x7fffffff))
	f.Add(uint8(9), xdrStr(nil, "QEMU"))
	f.Add(uint8(1), xdrU32(xdrU32(xdrU32(xdrU32(nil, 1), 10), 1), 0x7ffffffc))
	types := replyTypeList()
	stats := slices.Index(types, reflect.TypeFor[libvirt.ConnectGetAllDomainStatsRet]())
	f.Add(uint8(stats), wireStateParams(wireDomain(xdrU32(nil, 1), "web"), 1, 1))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		typ := types[int(which)%len(types)]
		w := xdrWalker{b: body}
		if err := w.walk(typ, false); err != nil {
			if !errors.Is(err, errShort) && !errors.Is(err, errParamType) {
				t.Fatalf("%s: %v", typ, err)
			}
			return
		}
		if w.alloc > allocBound(typ, len(body)) {
			t.Fatalf("%s: %d bytes accepted would allocate %d", typ, len(body), w.alloc)
		}
	})
}

// A count or length word above what any packet holds is refused as such,
// before it becomes an int (negative where int has 32 bits, which would
// pass the walk and panic the lifecycle decoder's slicing).
func TestXDRCountBounded(t *testing.T) {
	for _, word := range []uint32{0x80000000, 0xFFFFFFFF} {
		w := xdrWalker{b: binary.BigEndian.AppendUint32(nil, word)}
		if n, err := w.count(); !errors.Is(err, errShort) {
			t.Errorf("count of %#x = %d, %v; want errShort", word, n, err)
		}
	}
	w := xdrWalker{b: binary.BigEndian.AppendUint32(nil, 7)}
	if n, err := w.count(); n != 7 || err != nil {
		t.Errorf("count of 7 = %d, %v", n, err)
	}
}
