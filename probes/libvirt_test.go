package probes

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt/libvirttest"
)

// dialRemote is a Remote whose unix sockets come from dial.
type dialRemote struct {
	dial func() (net.Conn, error)
	hang bool // DialUnix waits for ctx, as a hung channel open does
	done chan struct{}
}

func (r *dialRemote) Exec(context.Context, string) (ExecResult, error) {
	return ExecResult{}, errors.New("no exec")
}
func (r *dialRemote) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	if r.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return r.dial()
}
func (r *dialRemote) HandshakeLatency() time.Duration { return 0 }
func (r *dialRemote) RTT() time.Duration              { return 0 }
func (r *dialRemote) Done() <-chan struct{}           { return r.done }

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
	r := &dialRemote{dial: mock.Dial, done: make(chan struct{})}
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
	if !errors.Is(err, ErrCallTimeout) {
		t.Fatalf("hung call = %v, want ErrCallTimeout", err)
	}
	if sess.alive() {
		t.Error("session still alive after a timed-out call")
	}
	if _, err := call(t.Context(), sess, "again", func(api libvirtAPI) (uint64, error) {
		return api.ConnectGetLibVersion()
	}); !errors.Is(err, ErrLibvirtClosed) {
		t.Errorf("call on a killed session = %v, want ErrLibvirtClosed", err)
	}
	if !sess.shutdown(grace(t)) {
		t.Error("session goroutines did not exit after the kill")
	}
}

func TestSessionRealLibvirtPoliteClose(t *testing.T) {
	mock := libvirttest.New()
	r := &dialRemote{dial: mock.Dial, done: make(chan struct{})}
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
	r := &dialRemote{dial: mock.Dial, done: make(chan struct{})}
	sess, err := openLibvirt(t.Context(), r, testHost("hv1"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	close(r.done)
	if sess.alive() {
		t.Error("session alive on a closed remote")
	}
	if !sess.close(5 * time.Second) {
		t.Error("close left goroutines behind")
	}
}

func TestOpenLibvirtDialFails(t *testing.T) {
	boom := errors.New("open failed")
	r := &dialRemote{dial: func() (net.Conn, error) { return nil, boom }, done: make(chan struct{})}
	_, err := openLibvirt(t.Context(), r, testHost("hv1"))
	if !errors.Is(err, boom) {
		t.Fatalf("open = %v, want the dial error", err)
	}
}

// A channel open that hangs is bounded by ctx.
func TestOpenLibvirtDialHangs(t *testing.T) {
	r := &dialRemote{done: make(chan struct{}), hang: true}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	_, err := openLibvirt(ctx, r, testHost("hv1"))
	if !errors.Is(err, ErrCallTimeout) {
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
	c := newPumpConn(raw, func() { closeOnce(dead) }, func() { close(exited) })
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

func TestPumpConnPassesData(t *testing.T) {
	a, b := net.Pipe()
	exited := make(chan struct{})
	c := newPumpConn(a, func() {}, func() { close(exited) })
	want := append(packet(5), packet(0)...)
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

func TestFrameChecker(t *testing.T) {
	tiny := []byte{0, 0, 0, 5, 1, 2, 3, 4}
	huge := []byte{0x7f, 0xff, 0xff, 0xff}
	tests := []struct {
		name   string
		stream []byte
		chunk  int
		ok     bool
	}{
		{"one packet", packet(10), 1000, true},
		{"packets split byte by byte", append(packet(3), packet(0)...), 1, true},
		{"length split across reads", append(packet(40), packet(7)...), 3, true},
		{"length under a header", tiny, 1000, false},
		{"length over the cap", huge, 2, false},
		{"bad length after good packet", append(packet(5), tiny...), 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f frameChecker
			var err error
			for s := tt.stream; len(s) > 0 && err == nil; {
				k := min(tt.chunk, len(s))
				err, s = f.feed(s[:k]), s[k:]
			}
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrBadFrame)) {
				t.Errorf("feed = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// A stream whose framing would panic go-libvirt's reader is cut instead.
func TestPumpConnRejectsBadFrame(t *testing.T) {
	a, b := net.Pipe()
	dead, exited := make(chan struct{}), make(chan struct{})
	c := newPumpConn(a, func() { closeOnce(dead) }, func() { close(exited) })
	go b.Write([]byte{0, 0, 0, 1, 0xde, 0xad})
	_, err := io.ReadAll(c)
	if !errors.Is(err, ErrBadFrame) {
		t.Errorf("read error %v, want ErrBadFrame", err)
	}
	within(t, dead, "dead signal")
	within(t, exited, "pump exit")
	b.Close()
}

func FuzzFrameChecker(f *testing.F) {
	f.Add(packet(4), uint8(3))
	f.Add([]byte{0, 0, 0, 1}, uint8(1))
	f.Add(append(packet(0), 0xff, 0xff, 0xff, 0xff), uint8(5))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		size := int(chunk%16) + 1
		// The result must not depend on how the stream is cut into reads.
		var whole, cut frameChecker
		errWhole := whole.feed(stream)
		var errCut error
		for s := stream; len(s) > 0 && errCut == nil; {
			k := min(size, len(s))
			errCut, s = cut.feed(s[:k]), s[k:]
		}
		if (errWhole == nil) != (errCut == nil) {
			t.Fatalf("whole %v, cut by %d %v", errWhole, size, errCut)
		}
	})
}
