package sshx

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The pool's default dialer gives each host's TCP connection the kernel's
// keepalive (idle and interval TCPKeepalive, 3 probes) and a
// TCP_USER_TIMEOUT of 4 x TCPKeepalive, read back from the socket of a
// live client; "off" leaves both unset.
func TestDialSetsTCPKeepalive(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	kh := f.trust(t, "kh", s)
	for _, tc := range []struct {
		name string
		tcp  time.Duration
		want map[string]int
	}{
		{"default", 0, map[string]int{"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 1, "TCP_KEEPINTVL": 1, "TCP_KEEPCNT": 6, "TCP_USER_TIMEOUT": 7000}},
		{"5s", 5 * time.Second, map[string]int{"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 5, "TCP_KEEPINTVL": 5, "TCP_KEEPCNT": 6, "TCP_USER_TIMEOUT": 35000}},
		{"off", -1, map[string]int{"SO_KEEPALIVE": 0, "TCP_USER_TIMEOUT": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, Options{TCPKeepalive: tc.tcp})
			c := mustGet(t, p, f.target("h1", s, kh))
			tcp, ok := c.link.Conn.(*net.TCPConn)
			if !ok {
				t.Fatalf("the first hop is a %T, not a *net.TCPConn", c.link.Conn)
			}
			for opt, want := range tc.want {
				if got := sockopt(t, tcp, opt); got != want {
					t.Errorf("%s = %d, want %d", opt, got, want)
				}
			}
		})
	}
}

// sockopt reads one integer socket option of c by name.
func sockopt(t *testing.T, c *net.TCPConn, name string) int {
	t.Helper()
	level, opt := unix.IPPROTO_TCP, map[string]int{
		"TCP_KEEPIDLE": unix.TCP_KEEPIDLE, "TCP_KEEPINTVL": unix.TCP_KEEPINTVL,
		"TCP_KEEPCNT": unix.TCP_KEEPCNT, "TCP_USER_TIMEOUT": unix.TCP_USER_TIMEOUT,
	}[name]
	if name == "SO_KEEPALIVE" {
		level, opt = unix.SOL_SOCKET, unix.SO_KEEPALIVE
	}
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := raw.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatalf("getsockopt %s: %v", name, gerr)
	}
	return v
}
