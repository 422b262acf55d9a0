package probes

import (
	"context"
	"errors"
	"fmt"

	"github.com/hvconsole/hvconsole/hosts"
)

// VMOp carries out op on the VM name of h through the scheduler's own
// connection to the host: on libvirt its open libvirt connection (the one
// the probes read, opened if there is none), so the next round sees the
// VM's new state whatever the driver shares between connections; on
// Hyper-V the constant script over the host's SSH connection. It waits for
// a probe of the host in flight and holds the next one back until it is
// done. Errors are classified as RunVMOp's.
func (s *Scheduler) VMOp(ctx context.Context, h hosts.Host, op, name string) (VMOpResult, error) {
	cmd, err := VMCommand(h, op, name)
	if err != nil {
		return VMOpResult{Exit: -1}, err
	}
	st := s.state(h.Name)
	if !acquire(ctx, st.busy) {
		return VMOpResult{Exit: -1}, fmt.Errorf("probes: VM %s on %s: %w", op, h.Name, context.Cause(ctx))
	}
	defer func() { <-st.busy }()
	p := &hostProbe{s: s, h: h, st: st}
	if res := p.connect(ctx); p.r == nil {
		return VMOpResult{Exit: -1}, fmt.Errorf("connect: %s", res.Summary)
	}
	if h.Hypervisor == hosts.KindHyperV {
		return runHyperVVMOp(ctx, p.r, cmd)
	}
	sess, err := p.session(ctx)
	if err != nil {
		return VMOpResult{Exit: -1}, fmt.Errorf("libvirt: %w", err)
	}
	err = libvirtVMOp(ctx, sess, op, name)
	if errors.Is(err, ErrExitUnknown) {
		s.retire(st) // a call that outlived its deadline killed the session
	}
	return VMOpResult{Exit: -1}, err
}
