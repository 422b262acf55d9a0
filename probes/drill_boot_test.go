package probes

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

func TestRateBoot(t *testing.T) {
	tests := []struct {
		err     error
		outcome string
		reason  string
	}{
		{nil, DrillPassed, ""},
		{ErrAgentTimeout, DrillFailed, "guest agent did not answer within 2m0s"},
		{remote.ParseAgentReply(`{"error":{"class":"GenericError","desc":"frozen"}}`), DrillFailed, "guest agent answered an error: GenericError: frozen"},
		{fmt.Errorf("%w: this function is not supported by the connection driver", errAgentRefused), DrillFailed,
			"libvirt refused the guest agent command: this function is not supported by the connection driver"},
		{fmt.Errorf("%w: domain is not running", ErrGuestStopped), DrillFailed, "the guest stopped before its agent answered: domain is not running"},
		{remote.ParseAgentReply("garbage"), DrillUnknown, "unreadable guest agent reply: guest agent reply: invalid character"},
		{fmt.Errorf("probes: libvirt guest-ping: %w", errors.New("EOF")), DrillUnknown, "the libvirt connection was lost mid-boot: EOF"},
	}
	for _, tt := range tests {
		outcome, reason := RateBoot(tt.err, 2*time.Minute)
		if outcome != tt.outcome || !strings.HasPrefix(reason, tt.reason) {
			t.Errorf("RateBoot(%v) = %s %q, want %s %q", tt.err, outcome, reason, tt.outcome, tt.reason)
		}
	}
}

// A domain that no longer exists (or no longer runs: a transient domain
// that stopped is gone) needs no destroy; any other refusal does.
func TestGoneOK(t *testing.T) {
	for code, gone := range map[libvirt.ErrorNumber]bool{libvirt.ErrNoDomain: true, libvirt.ErrOperationInvalid: true,
		libvirt.ErrOperationFailed: false} {
		err := fmt.Errorf("probes: libvirt DomainDestroy: %w", libvirt.Error{Code: uint32(code), Message: "m"})
		if got := goneOK(err) == nil; got != gone {
			t.Errorf("code %d: gone %v, want %v", code, got, gone)
		}
	}
}
