package simfleet

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor polls cond until it holds or a bounded deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// newTestHost builds a host without a listener, for calling its command
// and RPC handlers directly.
func newTestHost(t *testing.T, seed int64) *Host {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	f := &Fleet{opts: Options{RestartDelay: time.Millisecond, LibvirtSocket: DefaultLibvirtSocket}, ctx: ctx, cancel: cancel}
	h := &Host{
		fleet: f, name: "demo-01", socketPath: DefaultLibvirtSocket,
		w:     newWorld(seed, 0, time.Now()),
		conns: map[net.Conn]struct{}{}, rpcs: map[ssh.Channel]struct{}{},
	}
	h.w.journalStart(&h.journal, time.Now().Add(-time.Hour))
	return h
}

// startFleet starts a quiet fleet closed at the end of the test.
func startFleet(t testing.TB, opts Options) *Fleet {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.RestartDelay == 0 {
		opts.RestartDelay = 20 * time.Millisecond
	}
	f, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// clientConfig is a strict client for the fleet: its known_hosts, its key,
// host key algorithm pinned to what known_hosts holds.
func clientConfig(t testing.TB, f *Fleet) *ssh.ClientConfig {
	t.Helper()
	cb, err := knownhosts.New(f.KnownHostsPath())
	if err != nil {
		t.Fatalf("knownhosts: %v", err)
	}
	pem, err := os.ReadFile(f.IdentityPath())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatalf("identity: %v", err)
	}
	return &ssh.ClientConfig{
		User:              User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   cb,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           5 * time.Second,
	}
}

// dial connects to a host with a deadline on the handshake.
func dial(t testing.TB, cfg *ssh.ClientConfig, addr string) (*ssh.Client, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	sc, chans, reqs, err := ssh.NewClientConn(c, addr, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// mustDial dials and closes the client at the end of the test.
func mustDial(t testing.TB, f *Fleet, h *Host) *ssh.Client {
	t.Helper()
	c, err := dial(t, clientConfig(t, f), h.Addr())
	if err != nil {
		t.Fatalf("dial %s: %v", h.Name(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// execResult runs cmd in a session and returns stdout, stderr and status.
func execResult(t testing.TB, c *ssh.Client, cmd string) (string, string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer s.Close()
	var out, errb strings.Builder
	s.Stdout, s.Stderr = &out, &errb
	err = s.Run(cmd)
	code := 0
	var ee *ssh.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitStatus()
	case err != nil:
		t.Fatalf("run %q: %v", cmd, err)
	}
	return out.String(), errb.String(), code
}

// sshDialer opens libvirt's socket through an SSH client, as hvconsole does.
type sshDialer struct {
	c    *ssh.Client
	path string
}

func (d sshDialer) Dial() (net.Conn, error) { return d.c.Dial("unix", d.path) }

// pipeDialer serves a simulated libvirtd on one end of a net.Pipe.
type pipeDialer struct {
	h    *Host
	done chan error
}

func (d *pipeDialer) Dial() (net.Conn, error) {
	client, server := net.Pipe()
	go func() {
		defer server.Close()
		d.done <- newRPCConn(d.h).serve(server)
	}()
	return client, nil
}

// connectPipe connects go-libvirt to h over a pipe; cleanup disconnects and
// waits for the server goroutine.
func connectPipe(t *testing.T, h *Host) *libvirt.Libvirt {
	t.Helper()
	d := &pipeDialer{h: h, done: make(chan error, 1)}
	l := libvirt.NewWithDialer(d)
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		t.Fatalf("ConnectToURI: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Disconnect(); err != nil {
			t.Errorf("Disconnect: %v", err)
		}
		<-d.done
	})
	return l
}
