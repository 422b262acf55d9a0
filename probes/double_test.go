package probes

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// The probes tests' one double per seam, as restic's backend/mock: a
// struct whose methods call its ...Fn fields, with defaults when a field is
// nil. A test sets the fields it cares about; a stateful fake (the fleet of
// fake_test.go, the backup or virsh hosts) keeps its state in its own type
// and hands its methods to these fields. Other packages' tests use
// probes/probetest, the same doubles exported (an in-package test cannot
// import a package that imports probes).

// errNoStub is the default answer of a double's method a test did not set.
var errNoStub = errors.New("test double: not set")

// stubConn is the tests' Conn. Defaults: Exec and DialUnix fail with
// errNoStub; the latencies are Handshake and Trip; Done is DoneCh (nil:
// never done).
type stubConn struct {
	ExecFn     func(ctx context.Context, cmd string) (ExecResult, error)
	DialUnixFn func(ctx context.Context, path string) (net.Conn, error)
	Handshake  time.Duration
	Trip       time.Duration
	DoneCh     chan struct{}
}

func (c *stubConn) Exec(ctx context.Context, cmd string) (ExecResult, error) {
	if c.ExecFn == nil {
		return ExecResult{}, errNoStub
	}
	return c.ExecFn(ctx, cmd)
}

func (c *stubConn) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	if c.DialUnixFn == nil {
		return nil, errNoStub
	}
	return c.DialUnixFn(ctx, path)
}

func (c *stubConn) HandshakeLatency() time.Duration { return c.Handshake }
func (c *stubConn) RTT() time.Duration              { return c.Trip }
func (c *stubConn) Done() <-chan struct{}           { return c.DoneCh }

// stubTransport is the tests' Transport, with the optional host-key
// re-check and connect-error classification. Defaults: Connect fails with
// errNoStub, Reconnect does nothing, ClassifyConnect is defaultClassify and
// VerifyHostKey accepts the key.
type stubTransport struct {
	ConnectFn       func(ctx context.Context, h hosts.Host) (Conn, error)
	ReconnectFn     func(host string)
	ClassifyFn      func(err error) (Status, string)
	VerifyHostKeyFn func(ctx context.Context, h hosts.Host) error
}

func (t *stubTransport) Connect(ctx context.Context, h hosts.Host) (Conn, error) {
	if t.ConnectFn == nil {
		return nil, errNoStub
	}
	return t.ConnectFn(ctx, h)
}

func (t *stubTransport) Reconnect(host string) {
	if t.ReconnectFn != nil {
		t.ReconnectFn(host)
	}
}

func (t *stubTransport) ClassifyConnect(err error) (Status, string) {
	if t.ClassifyFn == nil {
		return defaultClassify(err)
	}
	return t.ClassifyFn(err)
}

func (t *stubTransport) VerifyHostKey(ctx context.Context, h hosts.Host) error {
	if t.VerifyHostKeyFn == nil {
		return nil
	}
	return t.VerifyHostKeyFn(ctx, h)
}

// apiSession is the libvirt seam's double in use: a session whose calls go
// to api (a stubLibvirt) through the production call helper, on a live
// stubConn with no stream under it; the test ends by shutting it down,
// which waits for every call it started.
func apiSession(t testing.TB, api *stubLibvirt) *lvSession {
	dead := make(chan struct{})
	var once sync.Once
	s := &lvSession{api: api, remote: &stubConn{DoneCh: make(chan struct{})}, dead: dead,
		kill: func() { once.Do(func() { close(dead) }) }}
	t.Cleanup(func() {
		if !s.shutdown(time.After(5 * time.Second)) {
			t.Error("a libvirt call outlived the test")
		}
	})
	return s
}
