package hosts

import (
	"slices"
	"strings"
)

// Findings of the security check. Each names one way a hypervisor host
// turns an outage, or a guest's escape, into a breach; the names are what
// security_crit and security_ignore list.
const (
	// FindingTCPUnauth: libvirt's TCP listener open with auth_tcp = "none".
	FindingTCPUnauth = "tcp-unauth"
	// FindingTLSNoVerify: tls_no_verify_certificate = 1 (clients unverified).
	FindingTLSNoVerify = "tls-no-verify"
	// FindingSVirtOff: no SELinux/AppArmor confinement of guests (secmodel none).
	FindingSVirtOff = "svirt-off"
	// FindingQEMURoot: QEMU runs as root (DAC baselabel +0:+0).
	FindingQEMURoot = "qemu-root"
	// FindingSecurityDriverNone: qemu.conf security_driver = "none".
	FindingSecurityDriverNone = "security-driver-none"
	// FindingGraphicsListenAll: qemu.conf vnc_listen/spice_listen on all addresses.
	FindingGraphicsListenAll = "graphics-listen-all"
	// FindingDomainUnconfined: a domain with <seclabel type='none'/>.
	FindingDomainUnconfined = "domain-unconfined"
	// FindingGraphicsPublic: a VM's VNC/SPICE on a public or wildcard address without TLS.
	FindingGraphicsPublic = "graphics-public"
	// FindingGraphicsExposed: a VM's VNC/SPICE on a private, non-loopback address without TLS.
	FindingGraphicsExposed = "graphics-exposed"
	// FindingSecureBootOff: a Hyper-V generation 2 VM without Secure Boot.
	FindingSecureBootOff = "secure-boot-off"
	// FindingHVCIOff: a Hyper-V host without VBS or HVCI running.
	FindingHVCIOff = "hvci-off"
)

// SecurityFindings lists every finding name, in the order reports show them.
var SecurityFindings = []string{
	FindingTCPUnauth, FindingTLSNoVerify, FindingSVirtOff, FindingQEMURoot,
	FindingSecurityDriverNone, FindingGraphicsListenAll, FindingDomainUnconfined,
	FindingGraphicsPublic, FindingGraphicsExposed, FindingSecureBootOff, FindingHVCIOff,
}

// DefaultSecurityCrit are the findings rated CRIT unless security_crit says
// otherwise: an open door anyone on the network can walk through. Every
// other finding is WARN.
var DefaultSecurityCrit = []string{FindingTCPUnauth, FindingGraphicsPublic}

// SecurityLevel is how the host's security check rates a finding: "CRIT",
// "WARN", or "" when security_ignore lists it. A nil SecurityCrit (the key
// not written) means DefaultSecurityCrit; an empty one rates nothing CRIT.
func (h Host) SecurityLevel(finding string) string {
	crit := h.SecurityCrit
	if crit == nil {
		crit = DefaultSecurityCrit
	}
	switch {
	case slices.Contains(h.SecurityIgnore, finding):
		return ""
	case slices.Contains(crit, finding):
		return "CRIT"
	}
	return "WARN"
}

func badFinding(s string) string {
	if slices.Contains(SecurityFindings, s) {
		return ""
	}
	return "unknown security finding " + quote(s) + ": want one of " + strings.Join(SecurityFindings, ", ")
}

// applySecurityLevels overlays security_crit and security_ignore; a finding
// in both lists is reported, since which one wins would be a guess.
func (ps *problems) applySecurityLevels(l *limits, raw *rawSettings, prefix string) {
	if raw.SecurityCrit != nil {
		l.securityCrit, _ = ps.stringList(joinKey(prefix, "security_crit"), *raw.SecurityCrit, badFinding)
	}
	if raw.SecurityIgnore != nil {
		l.securityIgnore, _ = ps.stringList(joinKey(prefix, "security_ignore"), *raw.SecurityIgnore, badFinding)
	}
	if raw.SecurityCrit == nil && raw.SecurityIgnore == nil {
		return
	}
	key := joinKey(prefix, "security_ignore")
	if raw.SecurityIgnore == nil {
		key = joinKey(prefix, "security_crit")
	}
	for _, f := range l.securityIgnore {
		if slices.Contains(l.securityCrit, f) && !ps.bad[key] {
			ps.atf(key, "security finding %s is in both security_crit and security_ignore", quote(f))
		}
	}
}
