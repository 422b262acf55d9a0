package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// pumpConn is the net.Conn handed to go-libvirt. Reads come from a pipe fed
// by a pump goroutine, so Close makes go-libvirt's reader fail at once even
// when the raw stream (an SSH channel, whose local Close does not unblock a
// pending Read) is slow to close. go-libvirt then fails every pending call
// and its own goroutines exit; only the pump waits for the raw stream, and
// it ends when the host acknowledges the close or the SSH link dies.
type pumpConn struct {
	net.Conn // the raw stream: Write, addresses and deadlines pass through

	pr     *io.PipeReader
	pw     *io.PipeWriter
	onDead func()
	once   sync.Once
	in     packetSplitter // the incoming stream, cut into packets
	guard  replyGuard
	events *sessionEvents        // receives the lifecycle events, not go-libvirt
	fault  atomic.Pointer[error] // why the pump cut the stream
}

// pumpBuf is the pump's read size. Each host's pump holds its buffer for
// the connection's life (it waits in Read), so it is sized for what libvirt
// mostly sends, small replies and events, not for the rare large one, which
// simply takes more reads (of the SSH channel's buffer: memory, not system
// calls): 32 KiB was 37% of the client's heap at 1,000 hosts; 1 KiB holds
// most of a steady round's replies, the domain statistics take a few reads.
const pumpBuf = 1 << 10

// newPumpConn starts the pump. onDead runs when the stream breaks or is
// closed, always before go-libvirt's side of the pipe ends: go-libvirt
// marks its socket disconnected as soon as its reader sees the end and
// then fails calls with a bare "invalid argument", so the session must
// already read as dead by then, or a probe would reuse it and call that
// answer the daemon's. onExit runs when the pump goroutine ends. The
// lifecycle events go to events (see deliver).
func newPumpConn(raw net.Conn, events *sessionEvents, onDead, onExit func()) *pumpConn {
	pr, pw := io.Pipe()
	c := &pumpConn{Conn: raw, pr: pr, pw: pw, onDead: onDead, events: events}
	go c.pump(onExit)
	return c
}

func (c *pumpConn) pump(onExit func()) {
	defer onExit()
	buf := make([]byte, pumpBuf)
	for {
		n, err := c.Conn.Read(buf)
		if n > 0 {
			ferr := c.in.feed(buf[:n], c.deliver)
			if ferr != nil && !errors.Is(ferr, errMalformedReply) {
				c.Close() // go-libvirt's side of the pipe is closed
				return
			}
			if ferr != nil {
				c.fault.Store(&ferr)
				c.onDead()
				c.pw.CloseWithError(ferr) // go-libvirt's reader sees why
				c.Conn.Close()
				return
			}
		}
		if err != nil {
			c.onDead()
			c.pw.CloseWithError(err)
			return
		}
	}
}

// deliver hands go-libvirt one whole packet once the guard accepted it
// (domain statistics too large to decode become an error reply: see
// tooLargeReply). A failed write means go-libvirt's side is closed (net.ErrClosed from
// Close), never a fault of the daemon.
//
// A lifecycle event is decoded here and handed to the session instead:
// go-libvirt's own event machinery costs three goroutines per session (its
// relay, its stream's queue, and ours draining its channel), the largest
// per-host cost the probes control at 10,000 hosts. An event that does not
// decode is a malformed packet, as it was when go-libvirt decoded it: the
// stream is cut and the session's calls fail with errMalformedReply.
func (c *pumpConn) deliver(pkt []byte) error {
	if isLifecycleEvent(readHeader(pkt)) {
		m, err := decodeLifecycle(pkt[4+remote.HeaderLen:])
		if err != nil {
			return err
		}
		m.at = time.Now()
		c.events.receive(m)
		return nil
	}
	switch err := c.guard.check(pkt); {
	case errors.Is(err, errStatsTooLarge):
		pkt = tooLargeReply(pkt)
	case err != nil:
		return err
	}
	_, err := c.pw.Write(pkt)
	return err
}

// failure is why the pump cut the stream (errMalformedReply), or nil.
func (c *pumpConn) failure() error {
	if p := c.fault.Load(); p != nil {
		return *p
	}
	return nil
}

// Read implements net.Conn from the pump's pipe.
func (c *pumpConn) Read(p []byte) (int, error) { return c.pr.Read(p) }

// Write implements net.Conn; a failed write marks the stream dead. The
// guard reads the calls written, to know what each reply answers.
func (c *pumpConn) Write(p []byte) (int, error) {
	if err := c.guard.sent(p); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(p)
	if err != nil {
		c.onDead()
	}
	return n, err
}

// Close fails pending and future reads at once and closes the raw stream.
// It is idempotent.
func (c *pumpConn) Close() error {
	var err error
	c.once.Do(func() {
		c.onDead()
		c.pr.CloseWithError(net.ErrClosed)
		err = c.Conn.Close()
	})
	return err
}

// Packet length bounds: a packet holds its 4-byte length and a 24-byte
// header; libvirt caps messages at 32 MiB (VIR_NET_MESSAGE_MAX) plus header.
const (
	minPacket = 4 + remote.HeaderLen
	maxPacket = 32<<20 + 1024
)

// packetSplitter cuts a byte stream into whole libvirt packets. A packet is
// held until all of it has arrived, in a buffer that grows with the bytes
// received (never from the declared length), so go-libvirt, which
// allocates each payload from its length word, only ever sees packets that
// are complete; a length no daemon sends (under 28 bytes panics go-libvirt's
// reader) is refused.
type packetSplitter struct {
	buf []byte // bytes of packets not yet whole
}

// feed adds p to the stream and calls each for every packet completed; each
// must not keep the packet after it returns.
func (s *packetSplitter) feed(p []byte, each func(pkt []byte) error) error {
	s.buf = append(s.buf, p...)
	rest := s.buf
	var err error
	for len(rest) >= 4 && err == nil {
		n := binary.BigEndian.Uint32(rest)
		if n < minPacket || n > maxPacket {
			err = fmt.Errorf("%w: packet length %d", errMalformedReply, n)
			break
		}
		if len(rest) < int(n) {
			break
		}
		err, rest = each(rest[:n]), rest[n:]
	}
	if err != nil {
		s.buf = nil
		return err
	}
	if cap(s.buf) > 2*pumpBuf && len(rest) < pumpBuf {
		s.buf = append([]byte(nil), rest...) // let a big packet's buffer go
		return nil
	}
	if len(rest) < len(s.buf) { // a packet was taken: move the rest up
		s.buf = s.buf[:copy(s.buf, rest)]
	}
	return nil
}
