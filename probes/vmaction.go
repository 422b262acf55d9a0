package probes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// libvirtVMProcs names each operation's libvirt procedure, as the
// confirmation shows it.
var libvirtVMProcs = map[string]string{
	remote.VMStart:   "DomainCreate",
	remote.VMResume:  "DomainResume",
	remote.VMDestroy: "DomainDestroy",
}

// errVMRefused marks a VM operation the hypervisor answered with an error
// (the VM is already running, not paused, not found): it did not happen.
var errVMRefused = errors.New("the hypervisor refused the operation")

// VMCommand is the exact operation op on the VM name of h, as the
// confirmation and the audit log show it: the libvirt procedure and URI,
// or the powershell.exe command of the Hyper-V script.
func VMCommand(h hosts.Host, op, name string) (string, error) {
	if why := remote.VMNameProblem(name); why != "" {
		return "", fmt.Errorf("%w: %s", remote.ErrBadArgument, why)
	}
	if h.Hypervisor == hosts.KindHyperV {
		return remote.HyperVVMCommand(op, name)
	}
	proc, ok := libvirtVMProcs[op]
	if !ok {
		return "", fmt.Errorf("%w: VM operation %q", remote.ErrBadArgument, op)
	}
	return fmt.Sprintf("libvirt %s(%s) on %s", proc, quoteVM(name), h.LibvirtURI), nil
}

// quoteVM shows a (validated) name in double quotes.
func quoteVM(name string) string { return `"` + name + `"` }

// VMOpResult is what RunVMOp saw.
type VMOpResult struct {
	// Exit is the Hyper-V script's exit status (-1: none; libvirt has
	// none).
	Exit   int
	Stderr string
}

// RunVMOp carries out op on the VM name of h over r: on libvirt through a
// libvirt connection opened on r's SSH connection (DomainLookupByName,
// then the procedure), on Hyper-V the constant script. The error wraps
// errVMRefused when the hypervisor said no, and ErrExitUnknown when the
// request was sent and no answer came (it may have happened); any other
// error means nothing was sent.
func RunVMOp(ctx context.Context, r Conn, h hosts.Host, op, name string) (VMOpResult, error) {
	cmd, err := VMCommand(h, op, name)
	if err != nil {
		return VMOpResult{Exit: -1}, err
	}
	if h.Hypervisor == hosts.KindHyperV {
		return runHyperVVMOp(ctx, r, cmd)
	}
	return VMOpResult{Exit: -1}, runLibvirtVMOp(ctx, r, h, op, name)
}

func runHyperVVMOp(ctx context.Context, r Conn, cmd string) (VMOpResult, error) {
	out, err := r.Exec(ctx, cmd)
	res := VMOpResult{Exit: -1, Stderr: strings.TrimSpace(remote.CleanLine(string(out.Stderr)))}
	if err != nil {
		return res, err // ErrExitUnknown when the command was sent
	}
	res.Exit = out.ExitCode
	if out.ExitCode != 0 {
		return res, fmt.Errorf("%w: exit status %d", errVMRefused, out.ExitCode)
	}
	return res, nil
}

func runLibvirtVMOp(ctx context.Context, r Conn, h hosts.Host, op, name string) error {
	s, err := openLibvirt(ctx, r, h)
	if err != nil {
		return err
	}
	defer s.close(openGrace)
	return libvirtVMOp(ctx, s, op, name)
}

// libvirtVMOp looks the VM up by name on s and calls op's procedure.
func libvirtVMOp(ctx context.Context, s *lvSession, op, name string) error {
	dom, err := call(ctx, s, "lookup "+quoteVM(name), func(api libvirtAPI) (libvirt.Domain, error) {
		return api.DomainLookupByName(name)
	})
	if err != nil {
		return libvirtOpErr(err, false)
	}
	_, err = call(ctx, s, libvirtVMProcs[op]+" "+quoteVM(name), func(api libvirtAPI) (struct{}, error) {
		switch op {
		case remote.VMStart:
			return struct{}{}, api.DomainCreate(dom)
		case remote.VMResume:
			return struct{}{}, api.DomainResume(dom)
		}
		return struct{}{}, api.DomainDestroy(dom)
	})
	return libvirtOpErr(err, true)
}

// libvirtOpErr classifies a call's error: the daemon's own error is a
// refusal; no answer to a request that was sent (sent) is unknown.
func libvirtOpErr(err error, sent bool) error {
	var lerr libvirt.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &lerr):
		return fmt.Errorf("%w: %s", errVMRefused, remote.CleanLine(lerr.Message))
	case sent:
		return fmt.Errorf("%w: %w", ErrExitUnknown, err)
	}
	return err
}
