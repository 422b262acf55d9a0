package probes

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Hyper-V hosts: Windows Server with its built-in OpenSSH server, probed
// with the constant PowerShell scripts of hosts/powershell_scripts.go, one
// exec per script, each under the host's probe timeout.

// errPowerShell is returned when a Hyper-V script failed on the host
// (non-zero exit with no output, powershell.exe missing, ...).
var errPowerShell = errors.New("probes: powershell command failed")

// ProbeHyperV runs a Hyper-V host's configured checks after ssh over r
// (hypervisor, vms, resources, backups, security, in that order) into a
// report: checks, VMs, version, resources figures and backup results. The
// round (hyperv_kind.go) runs backups and security on their own cadence.
func ProbeHyperV(ctx context.Context, r Conn, h hosts.Host, now time.Time) HostReport {
	var rep HostReport
	timeout := probeTimeout(h)
	if h.HasCheck(hosts.CheckHypervisor) {
		out, lat, err := runPowerShell(ctx, r, remote.HyperVHypervisorScript, timeout)
		var f remote.HyperVHostFacts
		if err == nil {
			f, err = remote.ParseHyperVHostFacts(out)
		}
		rep.Checks = append(rep.Checks, hyperVChecked(h.Name, hosts.CheckHypervisor, "hypervisor facts", err, lat, now,
			func() Result { return hyperVHypervisorResult(h.Name, f, lat, now) }))
		rep.Version = hyperVVersion(f)
	}
	if h.HasCheck(hosts.CheckVMs) {
		out, lat, err := runPowerShell(ctx, r, remote.HyperVVMsScript, timeout)
		var f remote.HyperVVMFacts
		if err == nil {
			f, err = remote.ParseHyperVVMs(out)
		}
		rep.Checks = append(rep.Checks, hyperVChecked(h.Name, hosts.CheckVMs, "VM list", err, lat, now,
			func() Result { return hyperVVMsResult(h.Name, f, lat, now) }))
		for _, v := range f.VMs {
			rep.VMs = append(rep.VMs, hyperVSharedVM(v))
		}
	}
	if h.HasCheck(hosts.CheckResources) {
		rep.Checks = append(rep.Checks, probeHyperVResources(ctx, r, h, now, &rep))
	}
	if h.HasCheck(hosts.CheckBackups) {
		var res Result
		res, rep.Backups = checkHyperVBackups(ctx, r, h, now)
		rep.Checks = append(rep.Checks, res)
	}
	if h.HasCheck(hosts.CheckSecurity) {
		rep.Checks = append(rep.Checks, checkHyperVSecurity(ctx, r, h, now))
	}
	return rep
}

func probeHyperVResources(ctx context.Context, r Conn, h hosts.Host, now time.Time, rep *HostReport) Result {
	script, err := remote.HyperVResourcesScript(windowsPaths(h.ImagePaths))
	if err != nil {
		err = fmt.Errorf("probes: resources script: %w", err)
		return newResult(h.Name, hosts.CheckResources, UNKNOWN, "resources unavailable: "+reason(err), "", err, 0, now)
	}
	out, lat, err := runPowerShell(ctx, r, script, probeTimeout(h))
	var f remote.HyperVResourceFacts
	if err == nil {
		f, err = remote.ParseHyperVResources(out)
	}
	return hyperVChecked(h.Name, hosts.CheckResources, "resources", err, lat, now, func() Result {
		res, figures := hyperVResourcesResult(h, f, lat, now)
		rep.Resources = figures
		return res
	})
}

// windowsPaths keeps the image paths that are Windows paths, at most
// remote.MaxResourcePaths: a Hyper-V host inheriting the libvirt default
// (/var/lib/libvirt/images) then measures Get-VMHost's own VM paths.
func windowsPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if remote.ValidWindowsPath(p) && len(out) < remote.MaxResourcePaths {
			out = append(out, p)
		}
	}
	return out
}

// hyperVChecked returns rate() when the script ran and parsed, and an
// UNKNOWN result naming what could not be read otherwise.
func hyperVChecked(host, check, what string, err error, lat time.Duration, at time.Time, rate func() Result) Result {
	if err != nil {
		return newResult(host, check, UNKNOWN, what+" unavailable: "+reason(err), "", err, lat, at)
	}
	return rate()
}

// runPowerShell runs a script as an EncodedCommand under timeout and
// returns its stdout. A non-zero exit is an error only when nothing was
// printed: the scripts report their own failures inside the JSON.
func runPowerShell(ctx context.Context, r Conn, script string, timeout time.Duration) (string, time.Duration, error) {
	ectx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	res, err := r.Exec(ectx, psCommand(script))
	lat := time.Since(start)
	switch {
	case err != nil && ectx.Err() != nil && ctx.Err() == nil:
		return "", lat, fmt.Errorf("probes: powershell: %w (%w)", errCallTimeout, err)
	case err != nil:
		return "", lat, fmt.Errorf("probes: powershell: %w", err)
	case res.Truncated:
		return "", lat, fmt.Errorf("%w: output truncated by the transport", remote.ErrUnparseable)
	case res.ExitCode != 0 && len(res.Stdout) == 0:
		why := remote.CleanLine(string(res.Stderr))
		if why == "" {
			why = "no output"
		}
		return "", lat, fmt.Errorf("%w: exit %d: %s", errPowerShell, res.ExitCode, why)
	}
	return string(res.Stdout), lat, nil
}

// psCommands holds the EncodedCommand of the scripts the Hyper-V probes
// run. They are constants or built only from a host's configuration (image
// paths, backup queries), so a fleet has few distinct ones, and encoding
// one (a UTF-16 copy and a base64 copy of a few KB) for every probe of
// every host was 0.35 GB of the 10,000-host rounds' allocation. At most
// maxPSCommands are kept (each under remote.MaxCommandLine): past that a
// script is encoded at each use, as before.
var psCommands = struct {
	mu sync.RWMutex
	m  map[string]string
}{m: map[string]string{}}

const maxPSCommands = 128

// psCommand is remote.EncodedCommand(script), encoded once per distinct
// script.
func psCommand(script string) string {
	psCommands.mu.RLock()
	cmd, ok := psCommands.m[script]
	psCommands.mu.RUnlock()
	if ok {
		return cmd
	}
	cmd = remote.EncodedCommand(script)
	psCommands.mu.Lock()
	if len(psCommands.m) < maxPSCommands {
		psCommands.m[script] = cmd
	}
	psCommands.mu.Unlock()
	return cmd
}
