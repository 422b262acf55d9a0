package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"golang.org/x/crypto/ssh"
)

// sshChannelRefused is a channel open the SSH server refused, as the SSH
// adapter hands it to the probes.
func sshChannelRefused(prohibited bool, msg string) error {
	reason := ssh.ConnectionFailed
	if prohibited {
		reason = ssh.Prohibited
	}
	return channelErr(&ssh.OpenChannelError{Reason: reason, Message: msg})
}

// The SSH adapter tells the probes which refusals an OpenChannelError is.
func TestChannelRefusalClassifiers(t *testing.T) {
	wrap := func(err error) error {
		return fmt.Errorf("probes: libvirt connect: %w", fmt.Errorf("sshx: host h: open unix socket /s: %w", channelErr(err)))
	}
	tests := []struct {
		name          string
		err           error
		admin, refuse bool
	}{
		{"prohibited", wrap(&ssh.OpenChannelError{Reason: ssh.Prohibited, Message: "no"}), true, true},
		{"openssh open failed", wrap(&ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "open failed"}), false, true},
		{"unknown channel type", channelErr(&ssh.OpenChannelError{Reason: ssh.UnknownChannelType}), false, true},
		{"timeout", wrap(context.DeadlineExceeded), false, false},
		{"closed", wrap(net.ErrClosed), false, false},
		{"nil", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isAdministrativelyRefused(tt.err); got != tt.admin {
				t.Errorf("IsAdministrativelyRefused = %v, want %v", got, tt.admin)
			}
			if got := isChannelRefused(tt.err); got != tt.refuse {
				t.Errorf("IsChannelRefused = %v, want %v", got, tt.refuse)
			}
		})
	}
}

// wantOpenFailed checks the refusal OpenSSH 9.2 sends for a streamlocal
// channel: reason 2 "connect failed", message "open failed", whether
// forwarding is forbidden or nothing listens on the socket.
func wantOpenFailed(t *testing.T, err error) {
	t.Helper()
	t.Logf("channel open error: %v", err)
	var oce *ssh.OpenChannelError
	if !errors.As(err, &oce) {
		t.Fatalf("error %v (%T) holds no *ssh.OpenChannelError", err, err)
	}
	t.Logf("OpenChannelError: Reason %d (%v), Message %q", uint32(oce.Reason), oce.Reason, oce.Message)
	if oce.Reason != ssh.ConnectionFailed || oce.Message != "open failed" {
		t.Errorf("reason %v message %q: OpenSSH's refusal changed shape; revisit channelErr", oce.Reason, oce.Message)
	}
	if !isChannelRefused(err) || isAdministrativelyRefused(err) {
		t.Errorf("IsChannelRefused %v, IsAdministrativelyRefused %v; want true, false (OpenSSH never says prohibited)",
			isChannelRefused(err), isAdministrativelyRefused(err))
	}
}
