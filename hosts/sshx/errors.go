package sshx

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh/knownhosts"
)

// Sentinel errors, matched with errors.Is. Every error a Pool returns wraps at
// most a few of these so callers (the ssh probe, the UI) can classify a
// failure without reading its text.
var (
	// ErrUnreachable wraps TCP connect failures, direct or through a jump host.
	ErrUnreachable = errors.New("sshx: host unreachable")
	// ErrHandshakeTimeout means the connect deadline passed during the SSH
	// handshake (a frozen or overloaded sshd).
	ErrHandshakeTimeout = errors.New("sshx: ssh handshake timed out")
	// ErrAuth wraps authentication failures, including identity files that
	// cannot be read or decrypted.
	ErrAuth = errors.New("sshx: authentication failed")
	// ErrPassphraseRequired means an identity file is passphrase protected and
	// no passphrase source is configured. It is always wrapped with ErrAuth.
	ErrPassphraseRequired = errors.New("sshx: identity file is passphrase protected and no passphrase source is configured")
	// ErrHostKey is the common parent of every host key refusal: unknown,
	// changed, revoked, or an invalid host certificate.
	ErrHostKey = errors.New("sshx: host key refused")
	// ErrBackoff means Get did not dial because the host failed recently; the
	// last dial error is wrapped too.
	ErrBackoff = errors.New("sshx: waiting before the next reconnect")
	// ErrKeepalive is why a client died when its link stopped answering:
	// keepalive@openssh.com replies stopped, or the kernel ended the first
	// hop's TCP connection because its keepalive probes or data went
	// unacknowledged (Options.TCPKeepalive).
	ErrKeepalive = errors.New("sshx: keepalive timed out, link considered dead")
	// ErrExitUnknown means a command was sent but its exit status never
	// came: the session was closed locally (a deadline, the connection
	// retired or closed) or the server closed it without a status. The
	// command may have run to its end on the host; an action must record
	// its outcome as unknown, never as failed.
	ErrExitUnknown = errors.New("sshx: command sent, exit status unknown")
	// ErrClosed is why a client died when it was closed locally, and what Get
	// returns after Pool.Close.
	ErrClosed = errors.New("sshx: connection closed")
	// ErrWeakHostKeySignature refuses a host that can prove its RSA host key
	// only with SHA-1 (ssh-rsa) signatures, as OpenSSH 8.8 and later do. It
	// is always wrapped with ErrHostKey.
	ErrWeakHostKeySignature = errors.New("sshx: host signs its RSA key only with SHA-1 (ssh-rsa)")
)

// UnknownHostError refuses a host that is in none of the known_hosts files.
// Keys are never accepted automatically: an operator must verify the
// fingerprint out of band and add the key.
type UnknownHostError struct {
	Host        string   // as known_hosts spells it: host or [host]:port
	Files       []string // the known_hosts files searched
	Fingerprint string   // SHA256 fingerprint of the presented key
}

// Error explains the refusal and what the operator should do.
func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("unknown host key: %s is not in %s (fingerprint %s); verify it and add it, never auto-accepted",
		e.Host, strings.Join(e.Files, ", "), e.Fingerprint)
}

// Is makes errors.Is(err, ErrHostKey) true.
func (e *UnknownHostError) Is(target error) bool { return target == ErrHostKey }

// HostKeyMismatchError refuses a host whose key differs from the one
// recorded in known_hosts. It may be a man-in-the-middle attack.
type HostKeyMismatchError struct {
	Host string
	// File and Line locate the recorded entry to check and fix.
	File string
	Line int
	// Want are all the entries known_hosts holds for Host.
	Want []knownhosts.KnownKey
	// Fingerprint of the presented key ("" when the server offered no key
	// type that known_hosts holds for it).
	Fingerprint string
}

// Error explains the refusal and what the operator should do.
func (e *HostKeyMismatchError) Error() string {
	presented := "presented key " + e.Fingerprint
	if e.Fingerprint == "" {
		presented = "offers none of the key types recorded for it"
	}
	return fmt.Sprintf("HOST KEY CHANGED for %s: it %s, which differs from %s:%d; "+
		"this may be an attack (man-in-the-middle); verify the new key out of band, then fix %s:%d",
		e.Host, presented, e.File, e.Line, e.File, e.Line)
}

// Is makes errors.Is(err, ErrHostKey) true.
func (e *HostKeyMismatchError) Is(target error) bool { return target == ErrHostKey }

// RevokedKeyError refuses a host key (or the CA that signed its
// certificate) marked @revoked in known_hosts.
type RevokedKeyError struct {
	Host        string
	File        string
	Line        int
	Fingerprint string
}

// Error explains the refusal and what the operator should do.
func (e *RevokedKeyError) Error() string {
	return fmt.Sprintf("revoked host key: %s presented %s, revoked at %s:%d", e.Host, e.Fingerprint, e.File, e.Line)
}

// Is makes errors.Is(err, ErrHostKey) true.
func (e *RevokedKeyError) Is(target error) bool { return target == ErrHostKey }

// HostCertError refuses a host certificate: signed by no @cert-authority
// for this host, expired, or not valid for the host name.
type HostCertError struct {
	Host        string
	Fingerprint string
	Err         error
}

// Error explains the refusal and what the operator should do.
func (e *HostCertError) Error() string {
	return fmt.Sprintf("host certificate refused for %s (%s): %v", e.Host, e.Fingerprint, e.Err)
}

// Is makes errors.Is(err, ErrHostKey) true.
func (e *HostCertError) Is(target error) bool { return target == ErrHostKey }

// Unwrap returns the certificate check error.
func (e *HostCertError) Unwrap() error { return e.Err }

// DialError says where a connection attempt failed: which target, at which
// hop, and through which jump hosts. Its message is free of control
// characters even when it quotes text sent by a remote server.
type DialError struct {
	Host    string   // the target's name
	Hop     string   // name of the endpoint where it failed (== Host for the target)
	Address string   // host:port of that endpoint
	Via     []string // jump hosts traversed before reaching Hop
	Err     error
}

// Error names the host, the failing hop and the chain before it.
func (e *DialError) Error() string {
	var b strings.Builder
	b.WriteString("sshx: host ")
	b.WriteString(e.Host)
	if e.Hop != e.Host {
		b.WriteString(": at jump ")
		b.WriteString(e.Hop)
	}
	fmt.Fprintf(&b, " (%s)", e.Address)
	if len(e.Via) > 0 {
		b.WriteString(" via jump ")
		b.WriteString(strings.Join(e.Via, " -> "))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return sanitize(b.String())
}

// Unwrap returns the underlying error.
func (e *DialError) Unwrap() error { return e.Err }

// sanitize removes control characters (terminal escapes from a hostile
// server, newlines) so the text is safe to render or store in a result.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
