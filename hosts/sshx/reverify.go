package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
)

// errKeyAccepted ends a re-verification handshake once the host key is
// accepted: nothing after it (authentication, a session) is needed.
var errKeyAccepted = errors.New("sshx: host key accepted")

// VerifyHostKey checks t's host key again on a fresh handshake while the
// pooled connection lives on. A pooled connection was checked once, when
// it was made; a host whose sshd restarted with new keys keeps serving the
// old session, so only a new handshake shows the change. It dials t (through
// the pooled connection's jump hosts, which need no new check) under a
// handshake slot and t's ConnectTimeout, stops right after the host key
// callback, and returns the refusal (*HostKeyMismatchError and the other
// ErrHostKey errors), nil when the key is still the one known_hosts holds,
// or another error when the handshake could not get that far. With no live
// pooled connection it does nothing: the next Get checks the key anyway.
func (p *Pool) VerifyHostKey(ctx context.Context, t Target) error {
	p.mu.Lock()
	var c *Client
	if e := p.entries[t.Name]; e != nil {
		c = e.client
	}
	p.mu.Unlock()
	if c == nil || !c.alive() {
		return nil
	}
	var prev *ssh.Client
	if len(c.chain) > 1 {
		prev = c.chain[len(c.chain)-2]
	}
	timeout := t.ConnectTimeout
	if timeout <= 0 {
		timeout = defaultConnectTimeout
	}
	return p.verifyHop(ctx, prev, t.Endpoint, timeout)
}

func (p *Pool) verifyHop(ctx context.Context, prev *ssh.Client, e Endpoint, timeout time.Duration) error {
	addr := e.addr()
	hk, err := newHostKeyChecker(p.knownHosts, e.KnownHosts, addr)
	if err != nil {
		return err
	}
	release, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := p.transport(hctx, prev, addr)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	cfg := &ssh.ClientConfig{
		User: e.User,
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			if err := hk.check(host, remote, key); err != nil {
				return err
			}
			return errKeyAccepted
		},
		HostKeyAlgorithms: hk.algos,
		Timeout:           timeout,
	}
	sc, in, err := handshake(ctx, hctx, conn, addr, cfg, hk)
	switch {
	case errors.Is(err, errKeyAccepted):
		return nil
	case err != nil:
		return err
	}
	_ = clientOf(sc, in, false).Close() // a server that let us in with no credentials: still the right key
	return nil
}
