package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// agentCallTimeout bounds every request to ssh-agent, so a hung agent cannot
// hold a handshake (or a Pool.Close) forever.
const agentCallTimeout = 5 * time.Second

// agentBackoff is how long an agent that failed or did not answer is passed
// over before it is asked again, so a hung agent costs one wait, not one
// per dial.
const agentBackoff = 30 * time.Second

// credentials loads and caches what endpoints authenticate with: decrypted
// identity files (asked for a passphrase at most once per pool while the
// key stays cached) and one shared ssh-agent connection. mu is never held
// across I/O: a slow disk or a hung agent never blocks another dial's
// bookkeeping.
type credentials struct {
	passphrase func(keyFile string) ([]byte, error)
	getenv     func(string) string
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)

	loadLock  chan struct{} // serializes key loading: one passphrase prompt at a time
	agentLock chan struct{} // one agent exchange at a time; waiters give up at their ctx
	agentWG   sync.WaitGroup

	mu           sync.Mutex
	signers      map[string]ssh.Signer // identity file -> decrypted signer
	pubs         map[string]ssh.PublicKey
	agentSock    string
	agentConn    net.Conn
	agent        agent.ExtendedAgent
	agentErr     error // the last failure, passed on until agentRetryAt
	agentErrSock string
	agentRetryAt time.Time
}

func newCredentials(opts Options) *credentials {
	return &credentials{
		passphrase: opts.Passphrase,
		getenv:     opts.Getenv,
		dial:       opts.Dial,
		loadLock:   make(chan struct{}, 1),
		agentLock:  make(chan struct{}, 1),
		signers:    map[string]ssh.Signer{},
		pubs:       map[string]ssh.PublicKey{},
	}
}

// signersFor returns the signers to offer for e, in order: for each
// configured identity, the agent's copy when the agent holds it (no
// passphrase needed), else the decrypted file. With no identity files,
// every agent key is offered.
// Agent calls are bounded by actx, key loading (which may ask for a
// passphrase) by ctx only.
func (c *credentials) signersFor(ctx, actx context.Context, e Endpoint) ([]ssh.Signer, error) {
	// Like OpenSSH, an agent that is absent or broken is passed over when
	// identity files can still authenticate; it is fatal only when the
	// agent was the one way in.
	var agentSigners []ssh.Signer
	var agentErr error
	if e.UseAgent {
		agentSigners, agentErr = c.agentSigners(actx)
	}
	if len(e.IdentityFiles) == 0 {
		if agentErr != nil {
			return nil, fmt.Errorf("%w: ssh-agent: %w", ErrAuth, agentErr)
		}
		if len(agentSigners) == 0 {
			return nil, fmt.Errorf("%w: no identity files configured and no ssh-agent keys", ErrAuth)
		}
		return agentSigners, nil
	}
	out := make([]ssh.Signer, 0, len(e.IdentityFiles))
	for _, file := range e.IdentityFiles {
		if s := matchAgent(agentSigners, c.publicKey(file)); s != nil {
			out = append(out, s)
			continue
		}
		s, err := c.loadKey(ctx, file)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func matchAgent(signers []ssh.Signer, pub ssh.PublicKey) ssh.Signer {
	if pub == nil {
		return nil
	}
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
			return s
		}
	}
	return nil
}

// publicKey finds an identity's public key without a passphrase: FILE.pub,
// else the private key itself when unencrypted, else the public part that
// the OpenSSH format stores in the clear. Nil when none is readable.
func (c *credentials) publicKey(file string) ssh.PublicKey {
	c.mu.Lock()
	pub, ok := c.pubs[file]
	c.mu.Unlock()
	if ok {
		return pub
	}
	pub = readPublicKey(file) // outside the lock: file I/O
	c.mu.Lock()
	c.pubs[file] = pub
	c.mu.Unlock()
	return pub
}

func readPublicKey(file string) ssh.PublicKey {
	if data, err := os.ReadFile(file + ".pub"); err == nil {
		if pub, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
			return pub
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	s, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		return s.PublicKey()
	case errors.As(err, &missing):
		return missing.PublicKey
	}
	return nil
}

// loadKey reads and decrypts one identity file, asking Options.Passphrase
// when it is encrypted. Loading is serialized so two hosts sharing a key
// prompt once; the result is cached for the pool's lifetime.
func (c *credentials) loadKey(ctx context.Context, file string) (ssh.Signer, error) {
	select {
	case c.loadLock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.loadLock }()
	c.mu.Lock()
	s := c.signers[file]
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := c.parseKey(file)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.signers[file] = s
	c.mu.Unlock()
	return s, nil
}

func (c *credentials) parseKey(file string) (ssh.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: identity file: %w", ErrAuth, err)
	}
	s, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		if err != nil {
			return nil, fmt.Errorf("%w: identity file %s: %w", ErrAuth, file, err)
		}
		return s, nil
	}
	if c.passphrase == nil {
		return nil, fmt.Errorf("%w: identity file %s: %w", ErrAuth, file, ErrPassphraseRequired)
	}
	pass, err := c.passphrase(file)
	if err != nil {
		return nil, fmt.Errorf("%w: passphrase for identity file %s: %w", ErrAuth, file, err)
	}
	s, err = ssh.ParsePrivateKeyWithPassphrase(data, pass)
	clear(pass)
	if err != nil {
		return nil, fmt.Errorf("%w: identity file %s: %w", ErrAuth, file, err)
	}
	return s, nil
}

// agentSigners lists the agent's keys, dialing SSH_AUTH_SOCK on first use
// (and again after a failure). The whole exchange, including the wait for
// another dial's exchange, is bounded by ctx; a failure or a timeout is
// remembered for agentBackoff, during which the agent is passed over at
// once.
func (c *credentials) agentSigners(ctx context.Context) ([]ssh.Signer, error) {
	sock := c.getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, errors.New("SSH_AUTH_SOCK is not set")
	}
	if err := c.agentBackingOff(sock); err != nil {
		return nil, err
	}
	select {
	case c.agentLock <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for ssh-agent: %w", ctx.Err())
	}
	defer func() { <-c.agentLock }()
	if err := c.agentBackingOff(sock); err != nil { // it failed while we waited
		return nil, err
	}
	signers, err := c.listAgent(ctx, sock)
	if err != nil {
		c.mu.Lock()
		c.agentErr, c.agentErrSock, c.agentRetryAt = err, sock, time.Now().Add(agentBackoff)
		c.closeAgentLocked()
		c.mu.Unlock()
	}
	return signers, err
}

// agentBackingOff returns the remembered failure while sock is backing off.
func (c *credentials) agentBackingOff(sock string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if wait := time.Until(c.agentRetryAt); wait > 0 && sock == c.agentErrSock {
		return fmt.Errorf("%w (not asked again for %s)", c.agentErr, wait.Round(time.Second))
	}
	return nil
}

// listAgent asks the agent at sock for its keys under ctx; the caller holds
// agentLock. At ctx's end the connection is closed, which ends the call.
func (c *credentials) listAgent(ctx context.Context, sock string) ([]ssh.Signer, error) {
	c.mu.Lock()
	if c.agent != nil && sock != c.agentSock {
		c.closeAgentLocked()
	}
	ag := c.agent
	c.mu.Unlock()
	if ag == nil {
		conn, err := c.dial(ctx, "unix", sock)
		if err != nil {
			return nil, err
		}
		dc := &deadlineConn{Conn: conn, timeout: agentCallTimeout}
		ag = agent.NewClient(dc)
		c.mu.Lock()
		c.agentConn, c.agent, c.agentSock = dc, ag, sock
		c.mu.Unlock()
	}
	type reply struct {
		signers []ssh.Signer
		err     error
	}
	ch := make(chan reply, 1)
	c.agentWG.Go(func() {
		s, err := ag.Signers()
		ch <- reply{s, err}
	})
	select {
	case r := <-ch:
		return r.signers, r.err
	case <-ctx.Done():
		c.mu.Lock()
		c.closeAgentLocked()
		c.mu.Unlock()
		return nil, fmt.Errorf("no answer from ssh-agent: %w", ctx.Err())
	}
}

func (c *credentials) closeAgentLocked() {
	if c.agentConn != nil {
		_ = c.agentConn.Close()
	}
	c.agentConn, c.agent, c.agentSock = nil, nil, ""
}

// close drops the agent connection, waits for a call it ended, and forgets
// decrypted keys.
func (c *credentials) close() {
	c.mu.Lock()
	c.closeAgentLocked()
	clear(c.signers)
	c.mu.Unlock()
	c.agentWG.Wait()
}

// deadlineConn gives every request/reply exchange on the agent socket its
// own deadline: the agent protocol writes a request, then reads the reply.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	if err := d.Conn.SetDeadline(time.Now().Add(d.timeout)); err != nil {
		return 0, err
	}
	return d.Conn.Write(p)
}
