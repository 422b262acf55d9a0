package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
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
	frames frameChecker
}

// pumpBuf is the pump's read size; libvirt replies are mostly small.
const pumpBuf = 32 << 10

// newPumpConn starts the pump. onDead runs when the stream breaks or is
// closed; onExit runs when the pump goroutine ends.
func newPumpConn(raw net.Conn, onDead, onExit func()) *pumpConn {
	pr, pw := io.Pipe()
	c := &pumpConn{Conn: raw, pr: pr, pw: pw, onDead: onDead}
	go c.pump(onExit)
	return c
}

func (c *pumpConn) pump(onExit func()) {
	defer onExit()
	buf := make([]byte, pumpBuf)
	for {
		n, err := c.Conn.Read(buf)
		if n > 0 {
			if ferr := c.frames.feed(buf[:n]); ferr != nil {
				c.pw.CloseWithError(ferr) // go-libvirt's reader sees why
				c.onDead()
				c.Conn.Close()
				return
			}
			if _, werr := c.pw.Write(buf[:n]); werr != nil {
				c.Close()
				return
			}
		}
		if err != nil {
			c.pw.CloseWithError(err)
			c.onDead()
			return
		}
	}
}

// Read implements net.Conn from the pump's pipe.
func (c *pumpConn) Read(p []byte) (int, error) { return c.pr.Read(p) }

// Write implements net.Conn; a failed write marks the stream dead.
func (c *pumpConn) Write(p []byte) (int, error) {
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

// ErrBadFrame is the read error go-libvirt sees when the daemon's stream
// carries a packet length no libvirt daemon sends; the stream is closed.
var ErrBadFrame = errors.New("probes: bad libvirt packet length")

// Packet length bounds: a packet holds its 4-byte length and a 24-byte
// header; libvirt caps messages at 32 MiB (VIR_NET_MESSAGE_MAX) plus header.
const (
	minPacket = 28
	maxPacket = 32<<20 + 1024
)

// frameChecker follows libvirt's packet framing across reads. go-libvirt
// allocates each payload from the length word without checking it (a
// length under 28 panics its reader goroutine, a huge one exhausts memory),
// so the pump rejects such a stream before go-libvirt sees it.
type frameChecker struct {
	need int     // payload bytes left in the current packet
	have int     // bytes of the next length word read so far
	word [4]byte // the length word being read
}

// feed checks the next bytes of the stream.
func (f *frameChecker) feed(p []byte) error {
	for len(p) > 0 {
		if f.need > 0 {
			k := min(f.need, len(p))
			f.need, p = f.need-k, p[k:]
			continue
		}
		k := copy(f.word[f.have:], p)
		f.have, p = f.have+k, p[k:]
		if f.have < len(f.word) {
			return nil
		}
		n := binary.BigEndian.Uint32(f.word[:])
		if n < minPacket || n > maxPacket {
			return fmt.Errorf("%w: %d", ErrBadFrame, n)
		}
		f.need, f.have = int(n)-len(f.word), 0
	}
	return nil
}
