package probes

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// A summary longer than a table cell is kept whole: check --json carries
// it, the views cut it.
func TestSummaryNotCut(t *testing.T) {
	long := strings.Repeat("libvirtd-unit-with-a-long-name inactive, ", 40)
	long = strings.TrimSuffix(long, ", ")
	r := newResult("kvm-01", "hypervisor", CRIT, long, "", nil, 0, time.Time{})
	if r.Summary != long {
		t.Fatalf("summary cut to %d of %d bytes", len(r.Summary), len(long))
	}
	if huge := newResult("h", "c", CRIT, strings.Repeat("x", 3*remote.MaxDetails), "", nil, 0, time.Time{}); len([]rune(huge.Summary)) > remote.MaxDetails {
		t.Fatalf("a hostile summary is not bounded: %d runes", len([]rune(huge.Summary)))
	}
}

func TestRootCause(t *testing.T) {
	refused := fmt.Errorf("dial tcp 127.0.0.1:22: %w", syscall.ECONNREFUSED)
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("probes: libvirt connect qemu:///system: probes: dial libvirt socket: %w", refused), "connection refused"},
		{fmt.Errorf("%w (retry in 4.2s after 4 failures): %w", errors.New("sshx: waiting"), refused), "connection refused"},
		{errors.New("plain"), "plain"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := rootText(tt.err); got != tt.want {
			t.Errorf("rootText(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestShortCause(t *testing.T) {
	for sum, want := range map[string]string{
		SummaryNotRunning + ": libvirtd failed": "libvirtd failed",
		"nightly 34h old (max 26h)":             "nightly 34h old (max 26h)",
	} {
		if got := ShortCause(Result{Summary: sum}); got != want {
			t.Errorf("ShortCause(%q) = %q, want %q", sum, got, want)
		}
	}
}
