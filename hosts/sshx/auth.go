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

// credentials loads and caches what endpoints authenticate with: decrypted
// identity files (asked for a passphrase at most once per pool while the
// key stays cached) and one shared ssh-agent connection.
type credentials struct {
	passphrase func(keyFile string) ([]byte, error)
	getenv     func(string) string
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)

	loadLock  chan struct{} // serializes key loading: one passphrase prompt at a time
	mu        sync.Mutex
	signers   map[string]ssh.Signer // identity file -> decrypted signer
	pubs      map[string]ssh.PublicKey
	agentSock string
	agentConn net.Conn
	agent     agent.ExtendedAgent
}

func newCredentials(opts Options) *credentials {
	return &credentials{
		passphrase: opts.Passphrase,
		getenv:     opts.Getenv,
		dial:       opts.Dial,
		loadLock:   make(chan struct{}, 1),
		signers:    map[string]ssh.Signer{},
		pubs:       map[string]ssh.PublicKey{},
	}
}

// signersFor returns the signers to offer for e, in order: for each
// configured identity, the agent's copy when the agent holds it (no
// passphrase needed), else the decrypted file. With no identity files,
// every agent key is offered.
func (c *credentials) signersFor(ctx context.Context, e Endpoint) ([]ssh.Signer, error) {
	// Like OpenSSH, an agent that is absent or broken is passed over when
	// identity files can still authenticate; it is fatal only when the
	// agent was the one way in.
	var agentSigners []ssh.Signer
	var agentErr error
	if e.UseAgent {
		agentSigners, agentErr = c.agentSigners(ctx)
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
	defer c.mu.Unlock()
	if pub, ok := c.pubs[file]; ok {
		return pub
	}
	var pub ssh.PublicKey
	if data, err := os.ReadFile(file + ".pub"); err == nil {
		pub, _, _, _, _ = ssh.ParseAuthorizedKey(data)
	}
	if pub == nil {
		if data, err := os.ReadFile(file); err == nil {
			s, err := ssh.ParsePrivateKey(data)
			var missing *ssh.PassphraseMissingError
			switch {
			case err == nil:
				pub = s.PublicKey()
			case errors.As(err, &missing):
				pub = missing.PublicKey
			}
		}
	}
	c.pubs[file] = pub
	return pub
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
// (and again after a failure).
func (c *credentials) agentSigners(ctx context.Context) ([]ssh.Signer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sock := c.getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, errors.New("SSH_AUTH_SOCK is not set")
	}
	if c.agent == nil || sock != c.agentSock {
		c.closeAgentLocked()
		dctx, cancel := context.WithTimeout(ctx, agentCallTimeout)
		conn, err := c.dial(dctx, "unix", sock)
		cancel()
		if err != nil {
			return nil, err
		}
		c.agentConn = &deadlineConn{Conn: conn, timeout: agentCallTimeout}
		c.agent = agent.NewClient(c.agentConn)
		c.agentSock = sock
	}
	signers, err := c.agent.Signers()
	if err != nil {
		c.closeAgentLocked()
		return nil, err
	}
	return signers, nil
}

func (c *credentials) closeAgentLocked() {
	if c.agentConn != nil {
		_ = c.agentConn.Close()
	}
	c.agentConn, c.agent, c.agentSock = nil, nil, ""
}

// close drops the agent connection and forgets decrypted keys.
func (c *credentials) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeAgentLocked()
	clear(c.signers)
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
