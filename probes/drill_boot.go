package probes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The L2 boot drill's libvirt part: the KVM check, the transient domain
// (DomainCreateXML: libvirt forgets it once it stops, so a crash of ours
// leaves no defined domain behind; autodestroyed with our connection), the guest agent's guest-ping, and the
// destroy. The restore before it and the files' clean-up are remote
// commands run by the action (probes/actions).

// Errors of a boot drill.
var (
	// ErrBootRefused: libvirt answered DomainCreateXML with an error, so
	// no domain was created.
	ErrBootRefused = errors.New("probes: libvirt refused to start the drill domain")
	// ErrAgentTimeout: the guest agent did not answer guest-ping in time.
	ErrAgentTimeout = errors.New("probes: the guest agent did not answer in time")
	// ErrGuestStopped: the guest stopped (or crashed) before its agent
	// answered.
	ErrGuestStopped = errors.New("probes: the drill guest stopped")
	// errAgentRefused: libvirt refused the guest-agent command itself (no
	// agent channel, a driver without it): the agent never spoke.
	errAgentRefused = errors.New("probes: libvirt refused the guest agent command")
)

// BootDrill is the libvirt connection of one L2 boot drill.
type BootDrill struct {
	s   *lvSession
	dom libvirt.Domain
}

// OpenBootDrill opens a libvirt connection to h over r for a boot drill.
func OpenBootDrill(ctx context.Context, r Conn, h hosts.Host) (*BootDrill, error) {
	s, err := openLibvirt(ctx, r, h)
	if err != nil {
		return nil, err
	}
	return &BootDrill{s: s}, nil
}

// Close says goodbye to the daemon and frees the connection.
func (b *BootDrill) Close() { b.s.close(openGrace) }

// KVMArch is the guest architecture h boots under KVM, read from its
// capabilities; remote.ErrNoKVM when it has none.
func (b *BootDrill) KVMArch(ctx context.Context) (string, error) {
	caps, err := call(ctx, b.s, "capabilities", func(api libvirtAPI) (string, error) {
		return api.ConnectGetCapabilities()
	})
	if err != nil {
		return "", err
	}
	return remote.ParseKVMArch(caps)
}

// Start creates and starts the transient domain described by xmlDesc
// (remote.DrillDomainXML), with VIR_DOMAIN_START_AUTODESTROY: should our
// connection die (a crash of ours, a dead link), libvirtd destroys the
// guest itself. The error wraps ErrBootRefused when libvirt
// said no (nothing exists), ErrExitUnknown when the request went out and
// no answer came (the domain may exist: destroy it by name).
func (b *BootDrill) Start(ctx context.Context, xmlDesc string) error {
	dom, err := call(ctx, b.s, "DomainCreateXML", func(api libvirtAPI) (libvirt.Domain, error) {
		return api.DomainCreateXML(xmlDesc, libvirt.DomainStartAutodestroy)
	})
	var lerr libvirt.Error
	switch {
	case err == nil:
		b.dom = dom
		return nil
	case errors.As(err, &lerr):
		return fmt.Errorf("%w: %s", ErrBootRefused, remote.CleanLine(lerr.Message))
	}
	return fmt.Errorf("%w: %w", ErrExitUnknown, err)
}

// agentCallSecs bounds one guest-ping inside libvirt; agentCallSlack is
// what our own deadline on the call adds to it.
const (
	agentCallSecs  = 5
	agentCallSlack = 5 * time.Second
)

// WaitAgent sends guest-ping to the started domain's agent every `every`
// until it answers or timeout has passed. nil: it answered. Otherwise
// ErrAgentTimeout, remote.ErrAgentError (it answered an error),
// errAgentRefused (libvirt refused the command), ErrGuestStopped, remote.ErrUnparseable (an unreadable reply), or the
// connection's own error (the link is gone: nothing is known).
func (b *BootDrill) WaitAgent(ctx context.Context, timeout, every time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return ErrAgentTimeout
		}
		secs := min(agentCallSecs, max(1, int32(left/time.Second)))
		err := b.ping(ctx, secs)
		if !errors.Is(err, errAgentNotYet) {
			return err
		}
		t := time.NewTimer(min(every, max(0, time.Until(deadline))))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// errAgentNotYet: the agent is not connected or did not answer this ping.
var errAgentNotYet = errors.New("probes: the guest agent is not answering yet")

// ping sends one guest-ping and classifies its outcome.
func (b *BootDrill) ping(ctx context.Context, secs int32) error {
	cctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+agentCallSlack)
	defer cancel()
	reply, err := call(cctx, b.s, "guest-ping", func(api libvirtAPI) (libvirt.OptString, error) {
		return api.QEMUDomainAgentCommand(b.dom, remote.GuestPing, secs, 0)
	})
	var lerr libvirt.Error
	switch {
	case err == nil && len(reply) == 1:
		return remote.ParseAgentReply(reply[0])
	case err == nil:
		return fmt.Errorf("%w: guest agent reply without text", remote.ErrUnparseable)
	case errors.As(err, &lerr):
		switch libvirt.ErrorNumber(lerr.Code) {
		case libvirt.ErrAgentUnresponsive, libvirt.ErrAgentUnsynced, libvirt.ErrAgentCommandTimeout, libvirt.ErrOperationTimeout:
			return errAgentNotYet
		case libvirt.ErrOperationInvalid, libvirt.ErrNoDomain:
			return fmt.Errorf("%w: %s", ErrGuestStopped, remote.CleanLine(lerr.Message))
		}
		return fmt.Errorf("%w: %s", errAgentRefused, remote.CleanLine(lerr.Message))
	}
	return err
}

// Destroy stops the started domain (a transient domain is then gone);
// nil also when it is gone already.
func (b *BootDrill) Destroy(ctx context.Context) error {
	_, err := call(ctx, b.s, "DomainDestroy", func(api libvirtAPI) (struct{}, error) {
		return struct{}{}, api.DomainDestroy(b.dom)
	})
	return goneOK(err)
}

// Alive reports whether the drill's libvirt connection still takes calls.
func (b *BootDrill) Alive() bool { return b.s.alive() }

// DestroyDrillDomain destroys the drill domain name of h over a fresh
// libvirt connection on r (the drill's own may be what broke); nil when
// no such domain exists.
func DestroyDrillDomain(ctx context.Context, r Conn, h hosts.Host, name string) error {
	s, err := openLibvirt(ctx, r, h)
	if err != nil {
		return err
	}
	defer s.close(openGrace)
	dom, err := call(ctx, s, "lookup "+quoteVM(name), func(api libvirtAPI) (libvirt.Domain, error) {
		return api.DomainLookupByName(name)
	})
	if err != nil {
		return goneOK(err)
	}
	_, err = call(ctx, s, "DomainDestroy "+quoteVM(name), func(api libvirtAPI) (struct{}, error) {
		return struct{}{}, api.DomainDestroy(dom)
	})
	return goneOK(err)
}

// goneOK is err, or nil when it says the domain does not exist (or no
// longer runs: a transient domain that stopped is gone).
func goneOK(err error) error {
	var lerr libvirt.Error
	if errors.As(err, &lerr) {
		switch libvirt.ErrorNumber(lerr.Code) {
		case libvirt.ErrNoDomain, libvirt.ErrOperationInvalid:
			return nil
		}
	}
	return err
}

// RateBoot turns WaitAgent's answer into a drill outcome and reason.
func RateBoot(err error, timeout time.Duration) (outcome, reason string) {
	switch {
	case err == nil:
		return DrillPassed, ""
	case errors.Is(err, ErrAgentTimeout):
		return DrillFailed, fmt.Sprintf("guest agent did not answer within %s", timeout)
	case errors.Is(err, remote.ErrAgentError):
		return DrillFailed, "guest agent answered an error: " + detailOf(err, remote.ErrAgentError)
	case errors.Is(err, errAgentRefused):
		return DrillFailed, "libvirt refused the guest agent command: " + detailOf(err, errAgentRefused)
	case errors.Is(err, ErrGuestStopped):
		return DrillFailed, "the guest stopped before its agent answered: " + detailOf(err, ErrGuestStopped)
	case errors.Is(err, remote.ErrUnparseable):
		return DrillUnknown, "unreadable guest agent reply: " + detailOf(err, remote.ErrUnparseable)
	}
	return DrillUnknown, "the libvirt connection was lost mid-boot: " + Words(err)
}

// BootRefusedReason is Start's ErrBootRefused in the operator's words:
// libvirt's own message, without the layers that carried it.
func BootRefusedReason(err error) string {
	return "libvirt could not start the drill domain: " + detailOf(err, ErrBootRefused)
}

// detailOf is what err says after its category sentinel ("%w: detail").
func detailOf(err, sentinel error) string {
	s := err.Error()
	if _, after, ok := strings.Cut(s, sentinel.Error()+": "); ok {
		s = after
	}
	return wordsText(s)
}
