package probes

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt/libvirttest"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// dialConn is a live Conn whose unix sockets come from dial.
func dialConn(dial func() (net.Conn, error)) *stubConn {
	return &stubConn{DialUnixFn: func(context.Context, string) (net.Conn, error) { return dial() },
		DoneCh: make(chan struct{})}
}

func grace(t *testing.T) <-chan time.Time {
	t.Helper()
	tm := time.NewTimer(5 * time.Second)
	t.Cleanup(func() { tm.Stop() })
	return tm.C
}

// Real go-libvirt against its mock daemon, which never answers procedures
// it does not know: the deadline must free the call and every goroutine.
func TestSessionRealLibvirtDeadline(t *testing.T) {
	mock := libvirttest.New()
	r := dialConn(mock.Dial)
	h := testHost("hv1")
	sess, err := openLibvirt(t.Context(), r, h)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	ver, err := call(t.Context(), sess, "lib version", func(api libvirtAPI) (uint64, error) {
		return api.ConnectGetLibVersion()
	})
	if err != nil || ver == 0 {
		t.Fatalf("lib version = %d, %v", ver, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = call(ctx, sess, "version", func(api libvirtAPI) (uint64, error) { return api.ConnectGetVersion() })
	if !errors.Is(err, errCallTimeout) {
		t.Fatalf("hung call = %v, want ErrCallTimeout", err)
	}
	if sess.alive() {
		t.Error("session still alive after a timed-out call")
	}
	if _, err := call(t.Context(), sess, "again", func(api libvirtAPI) (uint64, error) {
		return api.ConnectGetLibVersion()
	}); !errors.Is(err, errLibvirtClosed) {
		t.Errorf("call on a killed session = %v, want ErrLibvirtClosed", err)
	}
	if !sess.shutdown(grace(t)) {
		t.Error("session goroutines did not exit after the kill")
	}
}

func TestSessionRealLibvirtPoliteClose(t *testing.T) {
	mock := libvirttest.New()
	r := dialConn(mock.Dial)
	sess, err := openLibvirt(t.Context(), r, testHost("hv1"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if !sess.close(5 * time.Second) {
		t.Error("close left goroutines behind")
	}
}

func TestSessionRemoteGone(t *testing.T) {
	mock := libvirttest.New()
	r := dialConn(mock.Dial)
	sess, err := openLibvirt(t.Context(), r, testHost("hv1"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	close(r.DoneCh)
	if sess.alive() {
		t.Error("session alive on a closed remote")
	}
	if !sess.close(5 * time.Second) {
		t.Error("close left goroutines behind")
	}
}

func TestOpenLibvirtDialFails(t *testing.T) {
	boom := errors.New("open failed")
	r := dialConn(func() (net.Conn, error) { return nil, boom })
	_, err := openLibvirt(t.Context(), r, testHost("hv1"))
	if !errors.Is(err, boom) {
		t.Fatalf("open = %v, want the dial error", err)
	}
}

// A channel open that hangs is bounded by ctx.
func TestOpenLibvirtDialHangs(t *testing.T) {
	// DialUnix waits for ctx, as a hung channel open does.
	r := &stubConn{DialUnixFn: func(ctx context.Context, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}, DoneCh: make(chan struct{})}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	_, err := openLibvirt(ctx, r, testHost("hv1"))
	if !errors.Is(err, errCallTimeout) {
		t.Fatalf("open = %v, want ErrCallTimeout", err)
	}
}

// blockingConn is a raw stream whose Read ignores Close until released, like
// an SSH channel whose peer has not acknowledged the close yet.
type blockingConn struct {
	net.Conn
	release chan struct{}
	closed  chan struct{}
}

func (c *blockingConn) Read([]byte) (int, error) { <-c.release; return 0, io.EOF }
func (c *blockingConn) Close() error             { close(c.closed); return nil }

func TestPumpConnCloseUnblocksReader(t *testing.T) {
	raw := &blockingConn{release: make(chan struct{}), closed: make(chan struct{})}
	dead, exited := make(chan struct{}), make(chan struct{})
	c := newPumpConn(raw, new(sessionEvents), func() { closeOnce(dead) }, func() { close(exited) })
	readErr := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 8))
		readErr <- err
	}()
	c.Close()
	if err := within(t, readErr, "Read to fail after Close"); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Read = %v, want io.ErrClosedPipe", err)
	}
	within(t, raw.closed, "raw Close")
	within(t, dead, "dead signal")
	select {
	case <-exited:
		t.Fatal("pump exited before the raw stream ended")
	default:
	}
	close(raw.release)
	within(t, exited, "pump exit")
}

// Whole replies to the calls written reach go-libvirt unchanged, however
// the stream is cut into reads.
func TestPumpConnPassesData(t *testing.T) {
	a, b := net.Pipe()
	exited := make(chan struct{})
	c := newPumpConn(a, new(sessionEvents), func() {}, func() { close(exited) })
	for serial := range uint32(2) {
		go io.Copy(io.Discard, b)
		if _, err := c.Write(wirePacket(wireConnectGetType, remote.MsgCall, serial, 0, nil)); err != nil {
			t.Fatal(err)
		}
	}
	want := append(wirePacket(wireConnectGetType, remote.MsgReply, 0, 0, xdrStr(nil, "QEMU")),
		wirePacket(wireConnectGetType, remote.MsgReply, 1, 1, xdrU32(xdrStr(xdrU32(xdrU32(xdrU32(nil, 1), 10), 1), "no"), 2))...)
	go func() {
		b.Write(want[:7])
		b.Write(want[7:])
		b.Close()
	}()
	got, err := io.ReadAll(c)
	if !bytes.Equal(got, want) || err != nil {
		t.Errorf("read %x, %v", got, err)
	}
	within(t, exited, "pump exit")
	c.Close()
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// packet builds one libvirt packet with a payload of n bytes.
func packet(n int) []byte {
	p := make([]byte, minPacket+n)
	binary.BigEndian.PutUint32(p, uint32(len(p)))
	return p
}

func TestPacketSplitter(t *testing.T) {
	tiny := []byte{0, 0, 0, 5, 1, 2, 3, 4}
	huge := []byte{0x7f, 0xff, 0xff, 0xff}
	tests := []struct {
		name   string
		stream []byte
		chunk  int
		want   []int // lengths of the packets cut
		ok     bool
	}{
		{"one packet", packet(10), 1000, []int{38}, true},
		{"packets split byte by byte", append(packet(3), packet(0)...), 1, []int{31, 28}, true},
		{"length split across reads", append(packet(40), packet(7)...), 3, []int{68, 35}, true},
		{"partial packet held", append(packet(1), packet(9)[:20]...), 1000, []int{29}, true},
		{"length under a header", tiny, 1000, nil, false},
		{"length over the cap", huge, 2, nil, false},
		{"bad length after good packet", append(packet(5), tiny...), 7, []int{33}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sp packetSplitter
			var got []int
			var err error
			for s := tt.stream; len(s) > 0 && err == nil; {
				k := min(tt.chunk, len(s))
				err = sp.feed(s[:k], func(p []byte) error { got = append(got, len(p)); return nil })
				s = s[k:]
			}
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, errMalformedReply)) {
				t.Errorf("feed = %v, want ok %v", err, tt.ok)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("packets %v, want %v", got, tt.want)
			}
		})
	}
}

// A stream whose framing would panic go-libvirt's reader is cut instead.
func TestPumpConnRejectsBadFrame(t *testing.T) {
	a, b := net.Pipe()
	dead, exited := make(chan struct{}), make(chan struct{})
	c := newPumpConn(a, new(sessionEvents), func() { closeOnce(dead) }, func() { close(exited) })
	go b.Write([]byte{0, 0, 0, 1, 0xde, 0xad})
	_, err := io.ReadAll(c)
	if !errors.Is(err, errMalformedReply) || !errors.Is(c.failure(), errMalformedReply) {
		t.Errorf("read error %v, failure %v, want ErrMalformedReply", err, c.failure())
	}
	within(t, dead, "dead signal")
	within(t, exited, "pump exit")
	b.Close()
}

func FuzzPacketSplitter(f *testing.F) {
	f.Add(packet(4), uint8(3))
	f.Add([]byte{0, 0, 0, 1}, uint8(1))
	f.Add(append(packet(0), 0xff, 0xff, 0xff, 0xff), uint8(5))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		size := int(chunk%16) + 1
		// The packets and the verdict must not depend on how the stream is
		// cut into reads, and no packet is handed on before it is whole.
		var whole, cut packetSplitter
		var a, b [][]byte
		keep := func(dst *[][]byte) func([]byte) error {
			return func(p []byte) error {
				if int(binary.BigEndian.Uint32(p)) != len(p) {
					t.Fatalf("packet of %d bytes declares %d", len(p), binary.BigEndian.Uint32(p))
				}
				*dst = append(*dst, bytes.Clone(p))
				return nil
			}
		}
		errWhole := whole.feed(stream, keep(&a))
		var errCut error
		for s := stream; len(s) > 0 && errCut == nil; {
			k := min(size, len(s))
			errCut, s = cut.feed(s[:k], keep(&b)), s[k:]
		}
		if (errWhole == nil) != (errCut == nil) || !slices.EqualFunc(a, b, bytes.Equal) {
			t.Fatalf("whole %v %d packets, cut by %d %v %d packets", errWhole, len(a), size, errCut, len(b))
		}
	})
}

// The session reads as dead before go-libvirt can see the stream's end:
// go-libvirt fails every call with "invalid argument" once its reader has
// seen it, so a session still alive then would be reused and its answer
// blamed on the daemon. Both ends are checked: the daemon closing the
// stream and a malformed reply the pump cuts.
func TestPumpConnDeadBeforeLibvirtSeesTheEnd(t *testing.T) {
	for _, tt := range []struct {
		name string
		end  func(b net.Conn)
	}{
		{"stream closed", func(b net.Conn) { b.Close() }},
		{"malformed reply", func(b net.Conn) { b.Write([]byte{0, 0, 0, 1}) }}, // a length no daemon sends
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			dead, exited := make(chan struct{}), make(chan struct{})
			// onDead yields before it marks the session dead: were the
			// pipe already closed, the reader would run and see it alive.
			c := newPumpConn(a, new(sessionEvents), func() { runtime.Gosched(); closeOnce(dead) }, func() { close(exited) })
			deadAtEnd := make(chan bool, 1)
			go func() {
				_, err := c.Read(make([]byte, 8))
				deadAtEnd <- err != nil && isClosed(dead)
			}()
			tt.end(b)
			if ok := within(t, deadAtEnd, "go-libvirt's side to end"); !ok {
				t.Error("go-libvirt's side ended while the session still read as alive")
			}
			c.Close()
			within(t, exited, "pump exit")
		})
	}
}
