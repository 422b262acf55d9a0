package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"golang.org/x/crypto/ssh"
)

// SSHTransport adapts the pooled SSH layer to Transport. It hands out the
// same Conn value for as long as the pool keeps the same connection, so
// the probes can tell a reconnect (and reopen libvirt) by identity.
type SSHTransport struct {
	pool *sshx.Pool
	mu   sync.Mutex
	live map[string]*sshConn // by host name
}

// NewSSHTransport returns a Transport over pool; the caller closes the pool.
func NewSSHTransport(pool *sshx.Pool) *SSHTransport {
	return &SSHTransport{pool: pool, live: map[string]*sshConn{}}
}

// Connect returns h's pooled connection, dialing it under ctx when needed.
func (t *SSHTransport) Connect(ctx context.Context, h hosts.Host) (Conn, error) {
	c, err := t.pool.Get(ctx, Target(h))
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.live[h.Name]; r != nil && r.c == c {
		return r, nil
	}
	r := &sshConn{c: c}
	t.live[h.Name] = r
	return r, nil
}

// Reconnect drops the host's connection; the next Connect dials afresh.
func (t *SSHTransport) Reconnect(host string) {
	t.mu.Lock()
	delete(t.live, host)
	t.mu.Unlock()
	t.pool.Reconnect(host)
}

// poolBackoff is the SSH pool's reconnect delay under the scheduler: short
// and fixed, because the scheduler paces reconnects itself (ReconnectMin
// doubling up to the host's probe interval). The pool's own growing backoff
// on top of that kept a host CRIT for up to a minute after its link healed.
const poolBackoff = time.Second

// PoolOptions are the SSH pool options the scheduler is made for: the
// config's keepalive interval, TCP keepalive (0 is off: the pool's
// negative) and handshake bound, and poolBackoff.
func PoolOptions(cfg *hosts.Config) sshx.Options {
	tcp := cfg.TCPKeepalive
	if tcp == 0 {
		tcp = -1
	}
	return sshx.Options{
		KeepaliveInterval: cfg.KeepaliveInterval,
		TCPKeepalive:      tcp,
		MaxHandshakes:     cfg.MaxHandshakes,
		BackoffMin:        poolBackoff,
		BackoffMax:        poolBackoff,
	}
}

// VerifyHostKey checks h's key again on a fresh handshake (see
// sshx.Pool.VerifyHostKey); only a refused key is an error here.
func (t *SSHTransport) VerifyHostKey(ctx context.Context, h hosts.Host) error {
	if err := t.pool.VerifyHostKey(ctx, Target(h)); errors.Is(err, sshx.ErrHostKey) {
		return err
	}
	return nil
}

// Target maps an inventory host and its jump chain to an SSH target.
func Target(h hosts.Host) sshx.Target {
	t := sshx.Target{
		Endpoint: sshx.Endpoint{
			Name: h.Name, Address: h.Address, Port: h.Port, User: h.User,
			IdentityFiles: h.IdentityFiles, UseAgent: h.UseAgent, KnownHosts: h.KnownHosts,
		},
		ConnectTimeout: h.ConnectTimeout,
	}
	for _, hop := range h.Jump {
		t.Jumps = append(t.Jumps, sshx.Endpoint{
			Name: hop.Name, Address: hop.Address, Port: hop.Port, User: hop.User,
			IdentityFiles: hop.IdentityFiles, UseAgent: hop.UseAgent, KnownHosts: hop.KnownHosts,
		})
	}
	return t
}

// sshConn is one pooled SSH connection seen as a Conn.
type sshConn struct{ c *sshx.Client }

func (r *sshConn) Exec(ctx context.Context, cmd string) (ExecResult, error) {
	res, err := r.c.Exec(ctx, cmd)
	if errors.Is(err, sshx.ErrExitUnknown) {
		err = fmt.Errorf("%w: %w", ErrExitUnknown, err)
	}
	return ExecResult{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode, Truncated: res.Truncated}, err
}

func (r *sshConn) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	c, err := r.c.DialUnix(ctx, path)
	return c, channelErr(err)
}

// channelErr tells the probes a refused channel open (channelError); other
// errors pass unchanged.
func channelErr(err error) error {
	var oce *ssh.OpenChannelError
	if errors.As(err, &oce) {
		return &channelError{err: err, prohibited: oce.Reason == ssh.Prohibited}
	}
	return err
}

// channelError is a channel open the SSH server refused (an
// *ssh.OpenChannelError), told to the probes as errChannelRefused, and
// errChannelProhibited when the reason is SSH_OPEN_ADMINISTRATIVELY_PROHIBITED.
// Its text and chain are the SSH error's own.
type channelError struct {
	err        error
	prohibited bool
}

func (e *channelError) Error() string { return e.err.Error() }
func (e *channelError) Unwrap() error { return e.err }
func (e *channelError) Is(target error) bool {
	return target == errChannelRefused || (e.prohibited && target == errChannelProhibited)
}

func (r *sshConn) HandshakeLatency() time.Duration { return r.c.HandshakeLatency() }
func (r *sshConn) RTT() time.Duration              { return r.c.RTT() }
func (r *sshConn) Done() <-chan struct{}           { return r.c.Done() }

// unreachableWhy is the short reason of a connect failure.
func unreachableWhy(err error) string {
	if errors.Is(err, sshx.ErrHandshakeTimeout) {
		return "ssh handshake timed out"
	}
	return Words(err)
}

// ClassifyConnect rates an SSH connect error for the ssh check. Every
// refusal is CRIT; the summary leads with what an operator must act on and
// where: a changed key may be an attack and names the known_hosts line to
// fix, and a failure at a jump host names that hop.
func (*SSHTransport) ClassifyConnect(err error) (Status, string) {
	var (
		unknown  *sshx.UnknownHostError
		mismatch *sshx.HostKeyMismatchError
		revoked  *sshx.RevokedKeyError
		cert     *sshx.HostCertError
	)
	at := ""
	var de *sshx.DialError
	if errors.As(err, &de) && de.Hop != de.Host {
		at = " at jump " + de.Hop
	}
	var sum string
	switch {
	case errors.As(err, &mismatch):
		sum = fmt.Sprintf("host key changed%s: fix %s:%d after verifying (may be an attack)",
			at, filepath.Base(mismatch.File), mismatch.Line)
	case errors.As(err, &unknown):
		sum = fmt.Sprintf("unknown host key%s: verify %s and add it to known_hosts", at, unknown.Fingerprint)
	case errors.As(err, &revoked):
		sum = fmt.Sprintf("host key revoked%s: %s:%d", at, filepath.Base(revoked.File), revoked.Line)
	case errors.As(err, &cert):
		sum = "host certificate refused" + at + ": " + cert.Error()
	case errors.Is(err, sshx.ErrWeakHostKeySignature):
		sum = "host key refused" + at + ": it signs its RSA key only with SHA-1 (ssh-rsa); enable rsa-sha2 on the server"
	case errors.Is(err, sshx.ErrAuth):
		// the whole reason: it names the key file to fix
		inner := err
		if de != nil {
			inner = de.Err
		}
		sum = "authentication failed" + at + ": " +
			strings.TrimPrefix(withoutPackages(inner.Error()), "authentication failed: ")
	case at != "" && (errors.Is(err, sshx.ErrHandshakeTimeout) || errors.Is(err, sshx.ErrUnreachable)):
		// Every host behind a dead jump host says the same one cause.
		sum = "unreachable: jump host " + de.Hop + " unreachable (" + unreachableWhy(err) + ")"
	case errors.Is(err, sshx.ErrHandshakeTimeout), errors.Is(err, sshx.ErrUnreachable):
		sum = "unreachable: " + unreachableWhy(err)
	default:
		return defaultClassify(err)
	}
	return CRIT, remote.CleanSummary(sum)
}
