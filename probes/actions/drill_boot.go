package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

// Boot drill (L2) phases reported to DrillRequest.Progress, after the
// restore's copy and verify.
const (
	PhaseOverlay = "overlay"
	PhaseBoot    = "boot"
	PhaseAgent   = "waiting for the guest agent"
)

// ErrNoKVM refuses an L2 drill on a host whose libvirt offers no KVM.
var ErrNoKVM = errors.New("the host offers no KVM guests (libvirt capabilities): the boot drill needs KVM")

// Deadlines of the boot drill's own steps (the wait for the guest agent
// has the spec's drill_boot_timeout).
const (
	bootOpenTimeout    = 30 * time.Second // libvirt connection and the KVM check
	bootStartTimeout   = 2 * time.Minute  // DomainCreateXML: QEMU starting
	bootDestroyTimeout = 30 * time.Second
	overlayTimeout     = 2 * time.Minute
)

// defaultAgentPoll is how often guest-ping is sent while the guest boots.
const defaultAgentPoll = 2 * time.Second

// bootRun is one L2 drill's boot state: its libvirt connection, the KVM
// architecture it found and the domain it names.
type bootRun struct {
	drill  *probes.BootDrill
	arch   string
	domain string
	// started is set once DomainCreateXML was sent: from then on the
	// domain may exist until a destroy is confirmed.
	started bool
}

// prepareBoot opens the boot drill's libvirt connection and checks KVM,
// before anything is started on the host. The error is the refusal.
func (r *Runner) prepareBoot(ctx context.Context, conn probes.Conn, h hosts.Host, spec hosts.Backup) (*bootRun, error) {
	random := make([]byte, 4)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	name, err := remote.DrillDomainName(spec.Name, hex.EncodeToString(random))
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, bootOpenTimeout)
	defer cancel()
	d, err := probes.OpenBootDrill(octx, conn, h)
	if err != nil {
		return nil, fmt.Errorf("libvirt connection for the boot drill: %w", err)
	}
	arch, err := d.KVMArch(octx)
	if err != nil {
		d.Close()
		if errors.Is(err, remote.ErrNoKVM) {
			return nil, ErrNoKVM
		}
		return nil, fmt.Errorf("reading the host's capabilities: %w", err)
	}
	return &bootRun{drill: d, arch: arch, domain: name}, nil
}

// boot runs the L2 part on a restored and verified copy: the overlay, the
// transient domain, the guest agent's answer, and the destroy whatever
// happened. It sets res's outcome, its reason in words; the error it
// returns is the failed step's whole chain, for the audit record. The
// scratch folder is removed after it by the caller.
func (r *Runner) boot(ctx context.Context, conn probes.Conn, h hosts.Host, spec hosts.Backup, ds remote.DrillSpec,
	b *bootRun, res *probes.DrillResult, progress func(string, int64, int64)) error {
	res.Domain = b.domain
	progress(PhaseOverlay, 0, 0)
	if err := r.overlay(ctx, conn, ds); err != nil {
		res.Outcome, res.Reason = bootStepFailed(ctx, "creating the overlay", err)
		return err
	}
	doc, err := remote.DrillDomainXML(remote.DrillDomain{Name: b.domain, Overlay: remote.DrillOverlay(ds.RestoreDir, ds.ID),
		Arch: b.arch, MemoryMiB: spec.BootMemoryMiB()})
	if err != nil {
		res.Outcome, res.Reason = probes.DrillUnknown, "cannot build the drill domain: "+probes.Words(err)
		return err
	}
	progress(PhaseBoot, 0, 0)
	sctx, cancel := context.WithTimeout(ctx, bootStartTimeout)
	b.started = true
	err = b.drill.Start(sctx, doc)
	cancel()
	started := r.opts.Now()
	switch {
	case errors.Is(err, probes.ErrBootRefused):
		b.started = false // libvirt said no: nothing was created
		res.Outcome, res.Reason = probes.DrillFailed, probes.BootRefusedReason(err)
		return err
	case err != nil:
		res.Outcome, res.Reason = bootStepFailed(ctx, "starting the drill domain", err)
		return err
	}
	progress(PhaseAgent, 0, 0)
	err = b.drill.WaitAgent(ctx, spec.BootTimeout(), r.opts.AgentPoll)
	res.BootTime = r.opts.Now().Sub(started)
	if ctx.Err() != nil {
		res.Outcome, res.Reason = probes.DrillCancelled, "cancelled by the operator"
		return nil
	}
	res.Outcome, res.Reason = probes.RateBoot(err, spec.BootTimeout())
	return err
}

// overlay creates the qcow2 overlay on the restored copy.
func (r *Runner) overlay(ctx context.Context, conn probes.Conn, ds remote.DrillSpec) error {
	cmd, err := remote.DrillOverlayCommand(ds.RestoreDir, ds.ID, ds.QCOW2, overlayTimeout)
	if err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, overlayTimeout+10*time.Second)
	defer cancel()
	out, err := conn.Exec(octx, cmd)
	if err == nil && out.ExitCode != 0 {
		err = fmt.Errorf("%w: qemu-img create: exit %d: %s", errStepFailed, out.ExitCode, remote.CleanLine(string(out.Stderr)))
	}
	return err
}

// errStepFailed marks a boot step the host answered with a failure.
var errStepFailed = errors.New("failed")

// bootStepFailed rates a step that did not complete: cancelled, failed on
// the host, or cut short (unknown); the reason is in words.
func bootStepFailed(ctx context.Context, step string, err error) (string, string) {
	switch {
	case ctx.Err() != nil:
		return probes.DrillCancelled, "cancelled by the operator"
	case errors.Is(err, errStepFailed):
		return probes.DrillFailed, step + " " + probes.Words(err)
	}
	return probes.DrillUnknown, step + ": the connection was lost: " + probes.Words(err)
}

// destroyBoot destroys the drill domain if it may exist: over the drill's
// libvirt connection, else a fresh one on the host's connection, else
// after a reconnect. It runs under its own deadline (the drill's context
// may be what was cancelled) and closes the drill's connection. The error
// says the domain may remain.
func (r *Runner) destroyBoot(ctx context.Context, h hosts.Host, conn probes.Conn, b *bootRun) error {
	defer b.drill.Close()
	if !b.started {
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bootDestroyTimeout)
	defer cancel()
	var err error
	if b.drill.Alive() {
		if err = b.drill.Destroy(cctx); err == nil {
			return nil
		}
	}
	if err = probes.DestroyDrillDomain(cctx, conn, h, b.domain); err == nil {
		return nil
	}
	r.opts.Transport.Reconnect(h.Name)
	fresh, cerr := r.opts.Transport.Connect(cctx, h)
	if cerr != nil {
		return fmt.Errorf("%w; reconnect: %w", err, cerr)
	}
	return probes.DestroyDrillDomain(cctx, fresh, h, b.domain)
}

// finishBoot destroys the drill domain and says so in res: a destroy that
// is not confirmed makes the drill unknown, with the domain's name and why
// in words. The error, whole, is for the audit record.
func (r *Runner) finishBoot(ctx context.Context, h hosts.Host, conn probes.Conn, b *bootRun, res *probes.DrillResult) error {
	err := r.destroyBoot(ctx, h, conn, b)
	if err != nil {
		switch res.Outcome {
		case probes.DrillPassed:
			res.Notes = append(res.Notes, fmt.Sprintf("the guest booted: its agent answered after %s", res.BootTime.Round(100*time.Millisecond)))
		case probes.DrillFailed, probes.DrillCancelled:
			res.Notes = append(res.Notes, "before the clean-up the drill "+res.Outcome+": "+res.Reason)
		}
		res.Outcome = probes.DrillUnknown
		res.Reason = "drill domain " + b.domain + " NOT confirmed destroyed: it may still run (virsh destroy " + b.domain + ")"
		res.Notes = append(res.Notes, "destroy: "+probes.Words(err))
	}
	return err
}
