package probes

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// During the pool's reconnect backoff the ssh check still names the last
// real cause in words ("unreachable: connection refused"), never the
// backoff itself or an error chain; the chain stays in Err for the
// details view.
func TestBackoffKeepsTheRealCause(t *testing.T) {
	dial := fmt.Errorf("sshx: host demo-04 (127.0.0.1:2204): %w: dial tcp 127.0.0.1:2204: %w",
		sshx.ErrUnreachable, syscall.ECONNREFUSED)
	backoff := fmt.Errorf("%w (retry in 4.2s after 4 failures): %w", sshx.ErrBackoff, dial)
	st, sum := (*SSHTransport).ClassifyConnect(nil, backoff)
	if st != CRIT || sum != "unreachable: connection refused" {
		t.Fatalf("ClassifyConnect during backoff = %v %q, want CRIT %q", st, sum, "unreachable: connection refused")
	}
	for _, internal := range []string{"sshx:", "probes:", "retry in", "waiting before"} {
		if strings.Contains(sum, internal) {
			t.Errorf("summary %q carries %q", sum, internal)
		}
	}
}
