package sshx

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a client identity and a scratch directory for key files.
type fixture struct {
	dir    string
	key    string
	signer ssh.Signer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := shortTempDir(t)
	key, signer := writeKey(t, dir, "id_ed25519", nil, false)
	return &fixture{dir: dir, key: key, signer: signer}
}

// trust writes a known_hosts file holding s's first host key for its address.
func (f *fixture) trust(t *testing.T, name string, s *testServer) string {
	t.Helper()
	return writeFile(t, f.dir, name, hostLine(s.addr, s.hostKeys[0].PublicKey()))
}

func hostLine(addr string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{addr}, key)
}

func (f *fixture) endpoint(name string, s *testServer, knownHosts string) Endpoint {
	return Endpoint{Name: name, Address: "127.0.0.1", Port: s.port, User: "test",
		IdentityFiles: []string{f.key}, KnownHosts: []string{knownHosts}}
}

func (f *fixture) target(name string, s *testServer, knownHosts string) Target {
	return Target{Endpoint: f.endpoint(name, s, knownHosts), ConnectTimeout: 5 * time.Second}
}

// newPool returns a pool closed at the end of the test. Keepalives are slow
// unless the test asks otherwise, so they never interfere.
func newPool(t *testing.T, opts Options) *Pool {
	t.Helper()
	if opts.KeepaliveInterval == 0 {
		opts.KeepaliveInterval = time.Minute
	}
	p := NewPool(opts)
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func mustGet(t *testing.T, p *Pool, tg Target) *Client {
	t.Helper()
	c, err := p.Get(testCtx(t), tg)
	if err != nil {
		t.Fatalf("Get(%s): %v", tg.Name, err)
	}
	return c
}

// waitDone waits for c to die, failing after waitLimit.
func waitDone(t *testing.T, c *Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(waitLimit):
		t.Fatal("client did not die")
	}
}

func TestPoolCloseAndGetAfterClose(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	p := NewPool(Options{})
	c := mustGet(t, p, f.target("h1", s, f.trust(t, "kh", s)))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, c)
	if !errors.Is(c.Err(), ErrClosed) {
		t.Errorf("Err() = %v, want ErrClosed", c.Err())
	}
	if _, err := p.Get(t.Context(), f.target("h1", s, "")); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	s.waitFor("server side to see the connection closed", func() bool { return s.openConns() == 0 })
	if err := p.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
