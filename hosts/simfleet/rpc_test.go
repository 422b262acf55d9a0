package simfleet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The real go-libvirt client against the simulated daemon: every procedure
// returns the values the host's state holds.

func TestLibvirtRoundTrip(t *testing.T) {
	h := newTestHost(t, 42)
	l := connectPipe(t, h)
	w := h.lockedWorld()

	t.Run("versions", func(t *testing.T) {
		lib, err := l.ConnectGetLibVersion()
		if err != nil || lib != w.libVersion {
			t.Errorf("ConnectGetLibVersion = %d, %v; want %d", lib, err, w.libVersion)
		}
		hv, err := l.ConnectGetVersion()
		if err != nil || hv != w.hvVersion {
			t.Errorf("ConnectGetVersion = %d, %v; want %d", hv, err, w.hvVersion)
		}
	})
	t.Run("hostname and type", func(t *testing.T) {
		name, err := l.ConnectGetHostname()
		if err != nil || name != h.name {
			t.Errorf("ConnectGetHostname = %q, %v", name, err)
		}
		typ, err := l.ConnectGetType()
		if err != nil || typ != "QEMU" {
			t.Errorf("ConnectGetType = %q, %v", typ, err)
		}
	})
	t.Run("node info", func(t *testing.T) {
		model, mem, cpus, mhz, nodes, sockets, cores, threads, err := l.NodeGetInfo()
		if err != nil {
			t.Fatal(err)
		}
		var m []byte
		for _, c := range model {
			if c != 0 {
				m = append(m, byte(c))
			}
		}
		got := nodeInfo{string(m), mem, cpus, mhz, nodes, sockets, cores, threads, w.node.kvmModule}
		if diff := cmp.Diff(w.node, got, cmp.AllowUnexported(nodeInfo{})); diff != "" {
			t.Errorf("NodeGetInfo (-want +got):\n%s", diff)
		}
	})
	t.Run("list and state", func(t *testing.T) { checkDomains(t, l, w.domains) })
	t.Run("unknown procedure", func(t *testing.T) {
		_, err := l.ConnectGetSysinfo(0)
		if !errors.Is(err, libvirt.ErrUnsupported) {
			t.Errorf("ConnectGetSysinfo error = %v, want ErrUnsupported", err)
		}
	})
	t.Run("missing domain", func(t *testing.T) {
		_, _, err := l.DomainGetState(libvirt.Domain{Name: "ghost", ID: 9}, 0)
		if !libvirt.IsNotFound(err) {
			t.Errorf("DomainGetState(ghost) error = %v, want not found", err)
		}
	})
}

// checkDomains compares ConnectListAllDomains, DomainGetState and
// DomainGetAutostart with the simulated domains.
func checkDomains(t *testing.T, l *libvirt.Libvirt, want []domain) {
	t.Helper()
	all := libvirt.ConnectListDomainsActive | libvirt.ConnectListDomainsInactive
	for _, tc := range []struct {
		name  string
		flags libvirt.ConnectListAllDomainsFlags
		keep  func(domain) bool
	}{
		{"all", all, func(domain) bool { return true }},
		{"no flags", 0, func(domain) bool { return true }},
		{"active", libvirt.ConnectListDomainsActive, func(d domain) bool { return d.id >= 0 }},
		{"inactive", libvirt.ConnectListDomainsInactive, func(d domain) bool { return d.id < 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doms, n, err := l.ConnectListAllDomains(1, tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			var exp []libvirt.Domain
			for _, d := range want {
				if tc.keep(d) {
					exp = append(exp, libvirt.Domain{Name: d.name, UUID: d.uuid, ID: d.id})
				}
			}
			if diff := cmp.Diff(exp, doms); diff != "" || int(n) != len(exp) {
				t.Errorf("ConnectListAllDomains count %d (-want +got):\n%s", n, diff)
			}
		})
	}
	doms, _, err := l.ConnectListAllDomains(1, all)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range doms {
		state, reason, err := l.DomainGetState(d, 0)
		if err != nil || libvirt.DomainState(state) != want[i].state || reason != want[i].reason {
			t.Errorf("DomainGetState(%s) = %d/%d, %v; want %d/%d", d.Name, state, reason, err, want[i].state, want[i].reason)
		}
		auto, err := l.DomainGetAutostart(d)
		if err != nil || (auto == 1) != want[i].autostart {
			t.Errorf("DomainGetAutostart(%s) = %d, %v; want %v", d.Name, auto, err, want[i].autostart)
		}
	}
}

func TestListAllDomainsCountOnly(t *testing.T) {
	h := newTestHost(t, 7)
	l := connectPipe(t, h)
	doms, n, err := l.ConnectListAllDomains(0, 0)
	if err != nil || len(doms) != 0 || int(n) != len(h.w.domains) {
		t.Errorf("ConnectListAllDomains(0) = %d domains, count %d, %v; want 0, %d", len(doms), n, err, len(h.w.domains))
	}
}

func TestCrashedVMOverLibvirt(t *testing.T) {
	h := newTestHost(t, 3)
	name := h.firstRunningVM()
	if err := h.CrashVM(name); err != nil {
		t.Fatal(err)
	}
	l := connectPipe(t, h)
	d, ok := h.w.domainByName(name)
	if !ok {
		t.Fatal("crashed VM vanished")
	}
	state, reason, err := l.DomainGetState(libvirt.Domain{Name: name, UUID: d.uuid}, 0)
	if err != nil || libvirt.DomainState(state) != libvirt.DomainShutoff || reason != int32(libvirt.DomainShutoffCrashed) {
		t.Errorf("state of crashed VM = %d/%d, %v; want shutoff/crashed", state, reason, err)
	}
}

// rawCall sends one frame to a fresh connection and returns the reply frames.
func rawCall(t *testing.T, h *Host, frames ...[]byte) []rpcReply {
	t.Helper()
	var out bytes.Buffer
	in := bytes.NewReader(bytes.Join(frames, nil))
	newRPCConn(h).serve(readWriter{in, &out})
	var replies []rpcReply
	b := out.Bytes()
	for len(b) > 0 {
		hdr, body, _, err := readFrame(bytes.NewReader(b), nil)
		if err != nil {
			t.Fatalf("server wrote a bad frame: %v", err)
		}
		replies = append(replies, rpcReply{hdr, body})
		b = b[4+remote.HeaderLen+len(body):]
	}
	return replies
}

// readWriter joins a reader of client bytes and a writer of replies.
type readWriter struct {
	io.Reader
	io.Writer
}

func frame(program, version, proc, typ, serial uint32, body []byte) []byte {
	return appendFrame(nil, rpcHeader{program, version, proc, typ, serial, remote.StatusOK}, body)
}

// decodeRPCError reads the code and message of a remote_error body.
func decodeRPCError(t *testing.T, body []byte) (int32, string) {
	t.Helper()
	r := &xdrReader{b: body}
	code := r.int32()
	r.int32()
	msg, _ := r.optString(maxName)
	if r.err != nil {
		t.Fatalf("bad error body: %v", r.err)
	}
	return code, msg
}

func TestRPCProtocolEdges(t *testing.T) {
	h := newTestHost(t, 1)
	open := frame(remote.RemoteProgram, remote.RemoteVersion, remote.ProcConnectOpen, remote.MsgCall, 1, []byte{0, 0, 0, 0, 0, 0, 0, 0})
	tests := []struct {
		name     string
		frames   [][]byte
		wantLast rpcHeader
		wantCode int32
	}{
		{"call before open", [][]byte{frame(remote.RemoteProgram, 1, remote.ProcConnectGetType, remote.MsgCall, 5, nil)},
			rpcHeader{remote.RemoteProgram, 1, remote.ProcConnectGetType, remote.MsgReply, 5, remote.StatusError}, errInternal},
		{"unknown program", [][]byte{frame(0x1234, 1, 1, remote.MsgCall, 6, nil)},
			rpcHeader{0x1234, 1, 1, remote.MsgReply, 6, remote.StatusError}, errRPC},
		{"unknown procedure", [][]byte{open, frame(remote.RemoteProgram, 1, 9999, remote.MsgCall, 7, nil)},
			rpcHeader{remote.RemoteProgram, 1, 9999, remote.MsgReply, 7, remote.StatusError}, errNoSupport},
		{"trailing argument bytes", [][]byte{open, frame(remote.RemoteProgram, 1, remote.ProcConnectGetType, remote.MsgCall, 8, []byte{1, 2, 3, 4})},
			rpcHeader{remote.RemoteProgram, 1, remote.ProcConnectGetType, remote.MsgReply, 8, remote.StatusError}, errRPC},
		{"keepalive ping", [][]byte{frame(keepaliveProgram, 1, keepalivePing, remote.MsgMessage, 0, nil)},
			rpcHeader{keepaliveProgram, 1, keepalivePong, remote.MsgMessage, 0, remote.StatusOK}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			replies := rawCall(t, h, tc.frames...)
			if len(replies) != len(tc.frames) {
				t.Fatalf("%d replies to %d frames", len(replies), len(tc.frames))
			}
			last := replies[len(replies)-1]
			if last.hdr != tc.wantLast {
				t.Errorf("reply header = %+v, want %+v", last.hdr, tc.wantLast)
			}
			if tc.wantCode != 0 {
				if code, msg := decodeRPCError(t, last.body); code != tc.wantCode || msg == "" {
					t.Errorf("error = %d %q, want code %d", code, msg, tc.wantCode)
				}
			}
		})
	}
}

func TestRPCBadFramesCloseConnection(t *testing.T) {
	h := newTestHost(t, 1)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"short length", binary.BigEndian.AppendUint32(nil, 8)},
		{"huge length", binary.BigEndian.AppendUint32(nil, maxFrame+1)},
		{"truncated", append(binary.BigEndian.AppendUint32(nil, 100), make([]byte, 10)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := newRPCConn(h).serve(readWriter{bytes.NewReader(tc.in), &out})
			if !errors.Is(err, errFrame) || out.Len() != 0 {
				t.Errorf("serve = %v with %d bytes out; want errFrame and silence", err, out.Len())
			}
		})
	}
}

// FuzzRPCServe feeds garbage to the daemon: it never panics and every byte it
// writes is a well-formed reply frame.
func FuzzRPCServe(f *testing.F) {
	f.Add(frame(remote.RemoteProgram, 1, remote.ProcConnectOpen, remote.MsgCall, 1, []byte{1, 0, 0, 0, 0, 0, 0, 3, 'q', 'e', 'm', 0, 0, 0, 0, 0}))
	f.Add(append(frame(remote.RemoteProgram, 1, remote.ProcConnectOpen, remote.MsgCall, 1, make([]byte, 8)),
		frame(remote.RemoteProgram, 1, remote.ProcDomainGetState, remote.MsgCall, 2, []byte{0, 0, 0, 200})...))
	f.Add(append(frame(remote.RemoteProgram, 1, remote.ProcConnectOpen, remote.MsgCall, 1, make([]byte, 8)),
		frame(remote.RemoteProgram, 1, remote.ProcConnectListAllDomains, remote.MsgCall, 2, []byte{0, 0, 0, 1, 0, 0, 0, 3})...))
	f.Add(frame(keepaliveProgram, 1, keepalivePing, remote.MsgMessage, 0, nil))
	f.Add([]byte{0, 0, 0, 28})
	open := frame(remote.RemoteProgram, 1, remote.ProcConnectOpen, remote.MsgCall, 1, make([]byte, 8))
	f.Add(bytes.Join([][]byte{open,
		frame(remote.RemoteProgram, 1, remote.ProcConnectDomainEventCallbackRegisterAny, remote.MsgCall, 2, make([]byte, 8)),
		frame(remote.RemoteProgram, 1, remote.ProcConnectDomainEventCallbackDeregisterAny, remote.MsgCall, 3, []byte{0, 0, 0, 1})}, nil))
	f.Add(bytes.Join([][]byte{open,
		frame(remote.RemoteProgram, 1, remote.ProcConnectListAllNetworks, remote.MsgCall, 2, []byte{0, 0, 0, 1, 0, 0, 0, 2}),
		frame(remote.RemoteProgram, 1, remote.ProcNetworkIsActive, remote.MsgCall, 3, append([]byte{0, 0, 0, 1, 'x', 0, 0, 0}, make([]byte, 16)...))}, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		h := newTestHost(t, 5)
		var out bytes.Buffer
		newRPCConn(h).serve(readWriter{bytes.NewReader(in), &out})
		b := out.Bytes()
		for len(b) > 0 {
			_, body, _, err := readFrame(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatalf("bad reply frame: %v", err)
			}
			b = b[4+remote.HeaderLen+len(body):]
		}
	})
}
