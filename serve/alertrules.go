package serve

import (
	"slices"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// Alert names: each names the cause an operator acts on, not the check
// that saw it.
const (
	AlertHypervisorDown      = "HypervisorDown"
	AlertHypervisorDegraded  = "HypervisorDegraded"
	AlertHostUnreachable     = "HostUnreachable"
	AlertHostKeyMismatch     = "HostKeyMismatch"
	AlertHostKeyUnknown      = "HostKeyUnknown"
	AlertVMCrashed           = "VMCrashed"
	AlertVMPausedOnError     = "VMPausedOnError"
	AlertVMAutostartDown     = "VMAutostartDown"
	AlertNetworkDown         = "NetworkAutostartDown"
	AlertBackupFailed        = "BackupFailed"
	AlertStoragePoolDegraded = "StoragePoolDegraded"
	AlertResourcePressure    = "ResourcePressure"
	AlertKVMUnavailable      = "KVMUnavailable"
	AlertCheckUnknown        = "CheckUnknown"
)

// severityOf maps a status to an alert severity under the alerting
// config; ok is false when the status does not alert.
func severityOf(st probes.Status, a hosts.Alerting) (string, bool) {
	switch {
	case st == probes.CRIT:
		return hosts.SeverityCritical, true
	case st == probes.WARN, st == probes.UNKNOWN && a.AlertUnknown:
		return hosts.SeverityWarning, a.MinSeverity == hosts.SeverityWarning
	}
	return "", false
}

// alertName names the cause of a check's non-OK result.
func alertName(rep probes.HostReport, res probes.Result) string {
	if res.Status == probes.UNKNOWN {
		return AlertCheckUnknown
	}
	switch res.Check {
	case hosts.CheckSSH:
		return sshCause(res.Summary)
	case hosts.CheckHypervisor:
		if res.Status == probes.CRIT {
			return AlertHypervisorDown
		}
		return AlertHypervisorDegraded
	case hosts.CheckVMs:
		return vmCause(rep.VMs)
	case hosts.CheckKVM:
		return AlertKVMUnavailable
	case hosts.CheckBackups:
		return AlertBackupFailed
	case hosts.CheckStorage:
		return AlertStoragePoolDegraded
	case hosts.CheckResources:
		return AlertResourcePressure
	}
	return AlertCheckUnknown
}

// sshCause tells a refused host key from an unreachable host. The words
// are (*probes.SSHTransport).ClassifyConnect's own summaries (a test pins them), the only form
// in which a Result carries the cause.
func sshCause(summary string) string {
	switch {
	case strings.HasPrefix(summary, "unknown host key"):
		return AlertHostKeyUnknown
	case strings.HasPrefix(summary, "host key"), strings.HasPrefix(summary, "host certificate"):
		return AlertHostKeyMismatch // changed, revoked or refused: the key is not the one we trust
	}
	return AlertHostUnreachable
}

// vmCause picks the worst VM problem; a vms check that is not OK with no
// VM at fault is an autostart network that is down.
func vmCause(vms []probes.VM) string {
	var paused, autostart bool
	for _, v := range vms {
		switch {
		case v.Status == probes.CRIT:
			return AlertVMCrashed
		case v.Status == probes.WARN && (v.State == "paused" || v.State == "running"):
			paused = true
		case v.Status == probes.WARN:
			autostart = true
		}
	}
	switch {
	case paused:
		return AlertVMPausedOnError
	case autostart:
		return AlertVMAutostartDown
	}
	return AlertNetworkDown
}

// runningVMs lists the VMs a report saw running, for HypervisorDown's
// "what was on it" annotation.
func runningVMs(rep probes.HostReport) []string {
	var out []string
	for _, v := range rep.VMs {
		if v.State == "running" {
			out = append(out, v.Name)
		}
	}
	slices.Sort(out)
	return out
}
