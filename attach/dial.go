package attach

import (
	"context"
	"net"

	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// Dialer opens a connection to a target's socket.
type Dialer interface {
	DialTarget(ctx context.Context, t Target) (net.Conn, error)
}

// NetDialer reaches unix: targets directly and ssh:// targets through our
// own strict SSH layer: a pooled connection (known_hosts, agent,
// identities, jump chains) and a direct-streamlocal channel to the socket,
// exactly like the libvirt tunnel.
type NetDialer struct {
	// Pool carries SSH connections; nil refuses ssh:// targets.
	Pool *sshx.Pool
	// Resolve maps an ssh:// target to the SSH settings to use.
	Resolve func(Target) sshx.Target
}

// DialTarget implements Dialer.
func (d NetDialer) DialTarget(ctx context.Context, t Target) (net.Conn, error) {
	if !t.SSH {
		var nd net.Dialer
		return nd.DialContext(ctx, "unix", t.Path)
	}
	if d.Pool == nil || d.Resolve == nil {
		return nil, ErrBadTarget
	}
	st := d.Resolve(t)
	c, err := d.Pool.Get(ctx, st)
	if err != nil {
		return nil, err
	}
	conn, err := c.DialUnix(ctx, t.Path)
	if err != nil {
		select {
		case <-c.Done():
			d.Pool.Reconnect(st.Name) // a dead link is redialed next time
		default:
		}
		return nil, err
	}
	return conn, nil
}
