// Package attach is the client side of `hvconsole --attach`: it follows one
// or more collectors (`hvconsole serve`) over their unix socket, locally or
// through SSH, and turns their stream into the probe reports the console
// shows. It never probes a host and offers nothing that changes one.
//
// It consumes probes (and the wire form in probes/wire); it never imports
// serve: the wire package is the contract between the two.
package attach

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// ErrBadTarget is wrapped by ParseTarget's errors.
var ErrBadTarget = errors.New("attach: bad target")

// Target is where a collector's attach socket is.
type Target struct {
	// Raw is the target as written, for messages.
	Raw string
	// SSH is set for ssh:// targets; User and Port may be empty/zero.
	SSH  bool
	User string
	Host string
	Port int
	// Path is the socket's absolute path (on Host for SSH targets).
	Path string
}

// ParseTarget reads unix:/path/serve.sock or
// ssh://[user@]host[:port]/path/serve.sock.
func ParseTarget(s string) (Target, error) {
	t := Target{Raw: s}
	switch {
	case strings.HasPrefix(s, "unix:"):
		t.Path = strings.TrimPrefix(strings.TrimPrefix(s, "unix:"), "//")
	case strings.HasPrefix(s, "ssh://"):
		u, err := url.Parse(s)
		if err != nil {
			return Target{}, fmt.Errorf("%w %q: %v", ErrBadTarget, s, err)
		}
		if err := t.fromURL(u); err != nil {
			return Target{}, err
		}
	default:
		return Target{}, fmt.Errorf("%w %q: want unix:/path/serve.sock or ssh://[user@]host[:port]/path/serve.sock", ErrBadTarget, s)
	}
	if !path.IsAbs(t.Path) || strings.ContainsAny(t.Path, "\x00\n") {
		return Target{}, fmt.Errorf("%w %q: the socket path must be absolute", ErrBadTarget, s)
	}
	return t, nil
}

func (t *Target) fromURL(u *url.URL) error {
	t.SSH, t.Host, t.Path = true, u.Hostname(), u.Path
	if t.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w %q: want ssh://[user@]host[:port]/path", ErrBadTarget, t.Raw)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return fmt.Errorf("%w %q: no passwords in targets (use keys or ssh-agent)", ErrBadTarget, t.Raw)
		}
		t.User = u.User.Username()
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w %q: port %q out of range", ErrBadTarget, t.Raw, p)
		}
		t.Port = n
	}
	return nil
}
