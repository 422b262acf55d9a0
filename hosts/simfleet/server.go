package simfleet

import (
	"bytes"
	"errors"
	"io"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
)

// The SSH server side of a simulated host: one accept loop per host, one
// goroutine per connection (plus x/crypto/ssh's own), one per open session
// or libvirt channel. Everything is tracked so Close and SetUnreachable can
// drop it.

// serverVersion is the banner a Debian 12 OpenSSH sends.
const serverVersion = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"

// handshakeTimeout bounds a client's key exchange and authentication.
const handshakeTimeout = 10 * time.Second

// Channel types and requests handled here (RFC 4254, OpenSSH PROTOCOL).
const (
	chanSession     = "session"
	chanStreamLocal = "direct-streamlocal@openssh.com"
	chanTCPIP       = "direct-tcpip"
)

// serverConfig builds the SSH server config presenting hostKey and
// accepting only the fleet's client key for the fleet's user.
func (f *Fleet) serverConfig(hostKey ssh.Signer) *ssh.ServerConfig {
	want := f.clientKey.Marshal()
	cfg := &ssh.ServerConfig{
		ServerVersion: serverVersion,
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == User && bytes.Equal(key.Marshal(), want) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("simfleet: public key not authorized")
		},
	}
	cfg.AddHostKey(hostKey)
	return cfg
}

// acceptLoop accepts connections until the listener closes.
func (h *Host) acceptLoop() {
	var backoff time.Duration
	for {
		c, err := h.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || h.fleet.ctx.Err() != nil {
				return
			}
			// Temporary (e.g. too many open files): back off, bounded.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if !h.fleet.sleep(backoff) {
				return
			}
			continue
		}
		backoff = 0
		cfg, ok := h.admit(c)
		if !ok {
			refuse(c)
			continue
		}
		h.fleet.wg.Go(func() { h.serveConn(c, cfg) })
	}
}

// admit records a new connection, or reports false when the host is
// unreachable or shutting down.
func (h *Host) admit(c net.Conn) (*ssh.ServerConfig, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w.unreachable || h.fleet.ctx.Err() != nil {
		return nil, false
	}
	h.conns[c] = struct{}{}
	return h.server, true
}

func (h *Host) forget(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
}

// refuse resets a connection (RST, not FIN): the client sees "connection
// reset by peer", as from a host whose firewall rejects it.
func refuse(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// serveConn runs the SSH handshake under a deadline, then dispatches
// channels and global requests until the connection ends.
func (h *Host) serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	defer h.forget(c)
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return
	}
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Wait()
	defer sc.Close()
	if err := c.SetDeadline(time.Time{}); err != nil {
		return
	}
	for chans != nil || reqs != nil {
		select {
		case nc, ok := <-chans:
			if !ok {
				chans = nil
				continue
			}
			h.openChannel(nc)
		case r, ok := <-reqs:
			if !ok {
				reqs = nil
				continue
			}
			// OpenSSH answers unknown global requests, keepalive@openssh.com
			// included, with a failure: that reply is the keepalive.
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}
}

// openChannel accepts or rejects one channel open request.
func (h *Host) openChannel(nc ssh.NewChannel) {
	switch nc.ChannelType() {
	case chanSession:
		ch, reqs, err := nc.Accept()
		if err != nil {
			return
		}
		h.fleet.wg.Go(func() { h.serveSession(ch, reqs) })
	case chanStreamLocal:
		if h.hv != nil { // Windows' OpenSSH has no unix-socket forwarding
			nc.Reject(ssh.Prohibited, "administratively prohibited: open failed")
			return
		}
		h.openLibvirt(nc)
	case chanTCPIP:
		nc.Reject(ssh.Prohibited, "administratively prohibited: open failed")
	default:
		nc.Reject(ssh.UnknownChannelType, "unknown channel type")
	}
}

// streamLocalOpen is the payload of a direct-streamlocal@openssh.com open.
type streamLocalOpen struct {
	SocketPath string
	Reserved0  string
	Reserved1  uint32
}

// openLibvirt serves the libvirt RPC protocol on a unix-socket channel, or
// rejects it the way OpenSSH does when the socket is missing (daemon down or
// wrong path): ConnectionFailed, "open failed".
func (h *Host) openLibvirt(nc ssh.NewChannel) {
	var p streamLocalOpen
	if err := ssh.Unmarshal(nc.ExtraData(), &p); err != nil || p.SocketPath != h.socketPath || !h.daemonUp() {
		nc.Reject(ssh.ConnectionFailed, "open failed")
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	h.fleet.wg.Go(func() { ssh.DiscardRequests(reqs) })
	h.mu.Lock()
	up := h.w.unit == unitActive
	if up {
		h.rpcs[ch] = struct{}{}
	}
	h.mu.Unlock()
	if !up { // the daemon died between the check and the accept
		ch.Close()
		return
	}
	h.fleet.wg.Go(func() {
		defer h.forgetRPC(ch)
		defer ch.Close()
		newRPCConn(h).serve(ch)
	})
}

func (h *Host) daemonUp() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.w.unit == unitActive
}

func (h *Host) forgetRPC(ch ssh.Channel) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.rpcs, ch)
}

// serveSession handles one session channel: an exec request runs a
// simulated command; shells, ptys, env and subsystems are refused.
func (h *Host) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for r := range reqs {
		if r.Type != "exec" {
			if r.WantReply {
				r.Reply(false, nil)
			}
			continue
		}
		var p struct{ Command string }
		if err := ssh.Unmarshal(r.Payload, &p); err != nil {
			r.Reply(false, nil)
			continue
		}
		r.Reply(true, nil)
		res := h.run(p.Command)
		writeResult(ch, res)
		ch.Close()
		drainRequests(reqs)
		return
	}
}

// writeResult sends a command's output, EOF and exit status like OpenSSH.
func writeResult(ch ssh.Channel, res result) {
	io.WriteString(ch, res.stdout)
	io.WriteString(ch.Stderr(), res.stderr)
	ch.CloseWrite()
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(res.code)}))
}

// drainRequests refuses requests until the channel is gone.
func drainRequests(reqs <-chan *ssh.Request) {
	for r := range reqs {
		if r.WantReply {
			r.Reply(false, nil)
		}
	}
}
