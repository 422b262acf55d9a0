//go:build !linux

package sshx

import (
	"net"
	"time"
)

// setUserTimeout does nothing where TCP_USER_TIMEOUT does not exist: the
// kernel's keepalive and the SSH keepalive still find a dead link.
func setUserTimeout(*net.TCPConn, time.Duration) error { return nil }
