// Package probetest holds the test doubles of the probes' seams for other
// packages' tests, as restic's backend/mock: Conn and Transport are structs
// whose methods call their ...Fn fields, with defaults when a field is nil.
// A test sets the fields it cares about; a stateful fake keeps its state in
// its own type and hands its methods to these fields.
//
// Only tests import it (cmd/hvconsole's dependencies do not include it).
// The probes package's own tests cannot import it (it imports probes), so
// they hold the same two doubles unexported (probes/double_test.go).
package probetest

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// ErrNotSet is the default answer of a method whose Fn field is nil.
var ErrNotSet = errors.New("probetest: not set")

// Conn is a probes.Conn. Defaults: Exec and DialUnix fail with ErrNotSet;
// the latencies are Handshake and Trip; Done is DoneCh (nil: never done).
type Conn struct {
	ExecFn     func(ctx context.Context, cmd string) (probes.ExecResult, error)
	DialUnixFn func(ctx context.Context, path string) (net.Conn, error)
	Handshake  time.Duration
	Trip       time.Duration
	DoneCh     chan struct{}
}

var _ probes.Conn = (*Conn)(nil)

// Exec calls ExecFn.
func (c *Conn) Exec(ctx context.Context, cmd string) (probes.ExecResult, error) {
	if c.ExecFn == nil {
		return probes.ExecResult{}, ErrNotSet
	}
	return c.ExecFn(ctx, cmd)
}

// DialUnix calls DialUnixFn.
func (c *Conn) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	if c.DialUnixFn == nil {
		return nil, ErrNotSet
	}
	return c.DialUnixFn(ctx, path)
}

// HandshakeLatency is Handshake.
func (c *Conn) HandshakeLatency() time.Duration { return c.Handshake }

// RTT is Trip.
func (c *Conn) RTT() time.Duration { return c.Trip }

// Done is DoneCh.
func (c *Conn) Done() <-chan struct{} { return c.DoneCh }

// Transport is a probes.Transport. Defaults: Connect fails with
// ErrNotSet, Reconnect does nothing.
type Transport struct {
	ConnectFn   func(ctx context.Context, h hosts.Host) (probes.Conn, error)
	ReconnectFn func(host string)
}

var _ probes.Transport = (*Transport)(nil)

// Connect calls ConnectFn.
func (t *Transport) Connect(ctx context.Context, h hosts.Host) (probes.Conn, error) {
	if t.ConnectFn == nil {
		return nil, ErrNotSet
	}
	return t.ConnectFn(ctx, h)
}

// Reconnect calls ReconnectFn.
func (t *Transport) Reconnect(host string) {
	if t.ReconnectFn != nil {
		t.ReconnectFn(host)
	}
}
