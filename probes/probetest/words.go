package probetest

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// goPrefixes are the package prefixes of the error chains an operator must
// never read (probes.Words removes them): the test's own list, so a
// prefix the helper forgets is still caught.
var goPrefixes = []string{"probes:", "sshx:", "actions:", "libvirt:", "hosts:", "remote:", "serve:", "attach:", "tui:"}

// AssertWords fails t when text, shown to an operator as what, carries a
// Go error chain: a package prefix where a word starts.
func AssertWords(t testing.TB, what, text string) {
	t.Helper()
	for _, p := range goPrefixes {
		for i := strings.Index(text, p); i >= 0; {
			if i == 0 || !isWordByte(text[i-1]) {
				t.Errorf("%s shows a Go error chain (%q): %q", what, p, text)
				return
			}
			next := strings.Index(text[i+1:], p)
			if next < 0 {
				break
			}
			i += 1 + next
		}
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// DeadLink is the chain an exec on host carries when its SSH port refuses
// the connection: probes over sshx over the refused TCP dial, as the real
// layers wrap it.
func DeadLink(host string) error {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	return fmt.Errorf("probes: exec on %s: %w", host, &sshx.DialError{Host: host, Hop: host, Address: "127.0.0.1:22",
		Err: fmt.Errorf("%w: %w", sshx.ErrUnreachable, refused)})
}
