package probes

import (
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Remedies named by the hypervisor check of Hyper-V hosts, in the words an
// operator can act on. Changing the launch type needs a reboot, which the
// console never does on its own.
const (
	remedyLaunchType = "run `bcdedit /set hypervisorlaunchtype auto`, then reboot"
	remedyFirmware   = "enable it in the firmware setup, then power the host off (not just reboot) and on"
	remedyVMMS       = "VMs keep running but cannot be managed: restart vmms (Restart-Service vmms)"
)

// hyperVCause is one reason the hypervisor is not (fully) running.
type hyperVCause struct {
	status Status
	text   string
}

// hyperVHypervisorResult rates a Hyper-V host's hypervisor:
//
//   - no hypervisor present: CRIT "hypervisor not running: CAUSE: REMEDY",
//     the cause read from the boot entry's launch type (Off, or none set)
//     and the firmware requirements (virtualization or DEP disabled, no
//     SLAT, no VM monitor mode extensions); with none visible it says so
//     and points at the Hyper-V-Hypervisor event log;
//   - hypervisor present but vmms not running: CRIT naming the remedy;
//   - vmcompute not running, or launch type Off while the hypervisor still
//     runs (it will not start after the next reboot): WARN;
//   - presence unknown (the CIM query failed): UNKNOWN.
func hyperVHypervisorResult(host string, f remote.HyperVHostFacts, lat time.Duration, at time.Time) Result {
	details := hyperVHostDetails(f)
	var causes []hyperVCause
	switch {
	case f.Present == nil:
		sum := "hypervisor presence unknown: Win32_ComputerSystem unreadable"
		if f.CimError != "" {
			sum += ": " + f.CimError
		}
		return newResult(host, hosts.CheckHypervisor, UNKNOWN, sum, details, nil, lat, at)
	case !*f.Present:
		causes = hyperVAbsentCauses(f)
	default:
		causes = hyperVServiceCauses(f)
		if strings.EqualFold(f.LaunchType, "Off") {
			causes = append(causes, hyperVCause{WARN, "hypervisorlaunchtype is Off: the hypervisor will not start after the next reboot; run `bcdedit /set hypervisorlaunchtype auto`"})
		}
	}
	st, texts := OK, []string{}
	for _, c := range causes {
		st = st.Worse(c.status)
		texts = append(texts, c.text)
	}
	switch {
	case st == CRIT:
		return newResult(host, hosts.CheckHypervisor, CRIT, SummaryNotRunning+": "+strings.Join(texts, "; "), details, nil, lat, at)
	case len(texts) > 0:
		return newResult(host, hosts.CheckHypervisor, st, "Hyper-V running; "+strings.Join(texts, "; "), details, nil, lat, at)
	}
	return newResult(host, hosts.CheckHypervisor, OK, "Hyper-V running, vmms Running", details, nil, lat, at)
}

// hyperVAbsentCauses explains why no hypervisor is present.
func hyperVAbsentCauses(f remote.HyperVHostFacts) []hyperVCause {
	var out []hyperVCause
	crit := func(s string) { out = append(out, hyperVCause{CRIT, s}) }
	switch {
	case strings.EqualFold(f.LaunchType, "Off"):
		crit("hypervisorlaunchtype is Off in the boot entry: " + remedyLaunchType)
	case f.LaunchType == "" && f.BcdError == "":
		crit("the boot entry sets no hypervisorlaunchtype: " + remedyLaunchType)
	}
	if q := f.Requirements; q != nil {
		if hvIsFalse(q.VirtualizationFirmwareEnabled) {
			crit("virtualization (VT-x/AMD-V) disabled in firmware: " + remedyFirmware)
		}
		if hvIsFalse(q.DataExecutionPreventionAvailable) {
			crit("DEP (NX/XD) disabled in firmware: " + remedyFirmware)
		}
		if hvIsFalse(q.SecondLevelAddressTranslation) {
			crit("the CPU has no SLAT (EPT/RVI), required since Server 2016: move the VMs to capable hardware")
		}
		if hvIsFalse(q.VMMonitorModeExtensions) {
			crit("the CPU has no VM monitor mode extensions (VT-x/AMD-V): move the VMs to capable hardware")
		}
	}
	if len(out) == 0 {
		why := "HypervisorPresent is False though the boot entry and firmware look right"
		if f.BcdError != "" {
			why = "HypervisorPresent is False; the launch type is unknown (bcdedit needs an elevated account)"
		}
		crit(why + ": see event 5 of Microsoft-Windows-Hyper-V-Hypervisor in the System log, then power the host off and on")
	}
	return out
}

// hyperVServiceCauses rates vmms and vmcompute while the hypervisor runs.
func hyperVServiceCauses(f remote.HyperVHostFacts) []hyperVCause {
	var out []hyperVCause
	switch vmms, ok := f.Service("vmms"); {
	case !ok:
		out = append(out, hyperVCause{UNKNOWN, "vmms state not reported"})
	case vmms.Status == "NotFound":
		out = append(out, hyperVCause{CRIT, "vmms service not found: is the Hyper-V role installed? (Install-WindowsFeature Hyper-V)"})
	case vmms.Status != "Running":
		out = append(out, hyperVCause{CRIT, "vmms " + vmms.Status + ": " + remedyVMMS})
	}
	if c, ok := f.Service("vmcompute"); ok && c.Status != "Running" && c.Status != "NotFound" {
		out = append(out, hyperVCause{WARN, "vmcompute " + c.Status + " (Host Compute Service: containers and some VM operations need it)"})
	}
	return out
}

func hvIsFalse(b *bool) bool { return b != nil && !*b }

// hyperVHostDetails lists every fact read, one per line.
func hyperVHostDetails(f remote.HyperVHostFacts) string {
	var d []string
	if f.Present != nil {
		d = append(d, fmt.Sprintf("HypervisorPresent: %v", *f.Present))
	}
	switch {
	case f.BcdError != "":
		d = append(d, "hypervisorlaunchtype: unknown (bcdedit: "+f.BcdError+")")
	case f.LaunchType == "":
		d = append(d, "hypervisorlaunchtype: not set")
	default:
		d = append(d, "hypervisorlaunchtype: "+f.LaunchType)
	}
	for _, s := range f.Services {
		line := s.Name + ": " + s.Status
		if s.StartType != "" {
			line += " (" + s.StartType + ")"
		}
		d = append(d, line)
	}
	if q := f.Requirements; q != nil {
		d = append(d, "requirements: virtualization in firmware "+hvTriWord(q.VirtualizationFirmwareEnabled)+
			", DEP "+hvTriWord(q.DataExecutionPreventionAvailable)+", SLAT "+hvTriWord(q.SecondLevelAddressTranslation)+
			", VM monitor mode extensions "+hvTriWord(q.VMMonitorModeExtensions))
	}
	if f.RequirementsError != "" {
		d = append(d, "requirements unreadable: "+f.RequirementsError)
	}
	if f.OS != "" {
		d = append(d, "os: "+strings.TrimSpace(f.OS+" "+f.OSVersion))
	}
	return strings.Join(append(d, f.Notes...), "\n")
}

func hvTriWord(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

// hyperVVersion is HostReport.Version of a Hyper-V host, e.g. "Hyper-V /
// Microsoft Windows Server 2022 Datacenter 10.0.20348" ("" when unknown).
func hyperVVersion(f remote.HyperVHostFacts) string {
	if f.OS == "" && f.OSVersion == "" {
		return ""
	}
	return remote.CleanLine("Hyper-V / " + strings.TrimSpace(f.OS+" "+f.OSVersion))
}
