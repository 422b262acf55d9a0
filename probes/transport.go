package probes

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// Transport gives a connected remote for a host. Implementations pool one
// connection per host; the probes never dial SSH themselves, so the SSH
// layer (hosts/sshx) can be swapped for an in-process fake in tests.
type Transport interface {
	// Connect returns the host's pooled remote, dialing it when needed. It
	// must honour ctx's deadline for the whole dial (TCP, handshake, hops).
	Connect(ctx context.Context, h hosts.Host) (Conn, error)
	// Reconnect drops the host's pooled connection so the next Connect
	// dials afresh; the probes call it when the link looks dead.
	Reconnect(host string)
}

// Conn is one live connection to a host. Conn values are compared to
// tell whether the pool handed out a new connection, so implementations
// should be pointers.
type Conn interface {
	// Exec runs one fixed command (built by hosts/remote) under ctx.
	Exec(ctx context.Context, cmd string) (ExecResult, error)
	// DialUnix opens a stream to a unix socket on the host; ctx bounds the
	// opening only, not the life of the returned conn.
	DialUnix(ctx context.Context, path string) (net.Conn, error)
	// HandshakeLatency is how long the SSH handshake of this connection took.
	HandshakeLatency() time.Duration
	// RTT is the latest keepalive round trip (0 when not measured yet).
	RTT() time.Duration
	// Done is closed when the connection is gone.
	Done() <-chan struct{}
}

// ExecResult is what one remote command produced.
type ExecResult struct {
	Stdout, Stderr []byte
	ExitCode       int
	// Truncated is set when the transport cut the output at its size cap.
	Truncated bool
}

// connectClassifier is a Transport that rates its own Connect errors for
// the ssh check: status and one-line summary, e.g. (CRIT, "host key
// changed: ..."). The SSH adapter knows its typed errors; the probes never
// look into them (nor match error strings).
type connectClassifier interface {
	ClassifyConnect(err error) (Status, string)
}

// errChannelRefused is matched (errors.Is) by a Conn.DialUnix error when
// the host answered but would not open the channel: the link is fine, the
// socket is not served (by policy, or nothing listens there). The
// transport says so; errChannelProhibited too when the refusal says it is
// policy.
var (
	errChannelRefused    = errors.New("probes: channel refused")
	errChannelProhibited = errors.New("probes: channel administratively prohibited")
)

// errLibvirtClosed is returned by a libvirt call on a connection that was
// closed or found broken; the next round reopens it.
var errLibvirtClosed = errors.New("probes: libvirt connection closed")

// ErrExitUnknown is wrapped by a Conn.Exec error when the command was
// sent but its exit status never came (the session was closed locally, or
// the connection died under it): the command may have run on the host.
var ErrExitUnknown = errors.New("probes: command sent, exit status unknown")

// errCallTimeout is returned when a libvirt call or a remote command does
// not answer before its deadline.
var errCallTimeout = errors.New("probes: deadline exceeded")

// defaultClassify is the classifier used when none is configured: every
// connect failure is CRIT, a deadline reads "connect timeout", anything
// else "unreachable".
func defaultClassify(err error) (Status, string) {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errCallTimeout) {
		return CRIT, "unreachable: connect timeout"
	}
	return CRIT, "unreachable: " + Words(err)
}

// sameConn reports whether a and b are the same connection without
// panicking on non-comparable implementations (those never compare equal).
func sameConn(a, b Conn) (same bool) {
	if a == nil || b == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// isClosed reports whether ch is closed (a nil channel never is).
func isClosed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
