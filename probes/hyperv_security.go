package probes

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// hyperVFindings turns a Hyper-V host's facts into findings.
func hyperVFindings(f remote.HyperVSecurityFacts) []finding {
	var out []finding
	for _, v := range f.VMs {
		if v.Generation == 2 && v.SecureBoot == "Off" {
			out = append(out, finding{hosts.FindingSecureBootOff, "VM " + v.Name + " (generation 2) runs without Secure Boot",
				"Set-VMFirmware -VMName '" + strings.ReplaceAll(v.Name, "'", "''") + "' -EnableSecureBoot On (with the VM off; Linux guests need the MicrosoftUEFICertificateAuthority template)"})
		}
	}
	if d := f.DeviceGuard; d != nil {
		var off []string
		if d.VBSStatus != 2 {
			off = append(off, "virtualization-based security not running")
		}
		if !slices.Contains(d.ServicesRunning, remote.DeviceGuardHVCI) {
			off = append(off, "HypervisorEnforcedCodeIntegrity (HVCI) not running")
		}
		if len(off) > 0 {
			out = append(out, finding{hosts.FindingHVCIOff, "host: " + strings.Join(off, ", "),
				"turn on Memory integrity (HVCI) via Group Policy or HKLM\\SYSTEM\\CurrentControlSet\\Control\\DeviceGuard, then reboot"})
		}
	}
	return out
}

// hyperVSecurityProblems lists what the script could not read.
func hyperVSecurityProblems(f remote.HyperVSecurityFacts) []string {
	var out []string
	if f.VMError != "" {
		out = append(out, "VM firmware: "+f.VMError)
	}
	for _, v := range f.VMs {
		if strings.HasPrefix(v.SecureBoot, "Error: ") {
			out = append(out, "firmware of "+v.Name+": "+strings.TrimPrefix(v.SecureBoot, "Error: "))
		}
	}
	if f.DeviceGuard == nil {
		why := f.DeviceGuardError
		if why == "" {
			why = "not reported"
		}
		out = append(out, "HVCI/VBS state: "+why)
	}
	return out
}

// checkHyperVSecurity runs the security check on a Hyper-V host: Secure
// Boot of generation 2 VMs and the host's VBS/HVCI state where readable.
func checkHyperVSecurity(ctx context.Context, r Conn, h hosts.Host, now time.Time) Result {
	out, lat, err := runPowerShell(ctx, r, remote.HyperVSecurityScript, probeTimeout(h))
	var f remote.HyperVSecurityFacts
	if err == nil {
		f, err = remote.ParseHyperVSecurity(out)
	}
	return hyperVChecked(h.Name, hosts.CheckSecurity, "security facts", err, lat, now, func() Result {
		return securityResult(h, hosts.CheckSecurity, hyperVFindings(f), "", hyperVSecurityProblems(f), lat, now)
	})
}
