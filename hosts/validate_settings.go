package hosts

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// settings are the per-host keys with values resolved: the built-in
// defaults, overlaid by [defaults], overlaid by the host's own keys. Each
// layer is validated where it is written, so a bad [defaults] value is
// reported once, not once per host.
type settings struct {
	user           string
	port           int
	identityFiles  []string
	useAgent       bool
	knownHosts     []string
	connectTimeout time.Duration
	probeTimeout   time.Duration
	probeInterval  time.Duration
	hypervisor     string
	libvirtSocket  string
	libvirtURI     string
	units          []string
	services       []string
	servicesSet    bool
	sudo           bool
	checks         []string
	backupInterval time.Duration
	backups        []Backup
	backupsFrom    string // key path of the backups list in force
	limits         limits

	// Where user, identity_files and known_hosts came from ("" for a
	// built-in default), to place problems found only after resolving.
	userFrom, identityFrom, knownHostsFrom string
	// Where port, use_agent and connect_timeout came from ("" for a
	// built-in default): ssh_config fills only what the inventory leaves.
	portFrom, useAgentFrom, connectTimeoutFrom string
	// identitySSH and knownHostsSSH mark files taken from ssh_config.
	identitySSH, knownHostsSSH bool
}

// builtinSettings are the defaults of every per-host key.
func builtinSettings(getenv func(string) string) settings {
	user := getenv("USER")
	if user == "" {
		user = "root"
	}
	return settings{
		user:           user,
		port:           22,
		useAgent:       true,
		knownHosts:     []string{filepath.Join(getenv("HOME"), ".ssh", "known_hosts")},
		connectTimeout: 5 * time.Second,
		probeTimeout:   10 * time.Second,
		probeInterval:  15 * time.Second,
		hypervisor:     KindLibvirt,
		libvirtSocket:  "/run/libvirt/libvirt-sock",
		libvirtURI:     "qemu:///system",
		units:          []string{"libvirtd"},
		checks:         []string{CheckSSH, CheckHypervisor, CheckVMs, CheckKVM},
		backupInterval: 15 * time.Minute,
		limits:         builtinLimits(),
	}
}

// apply overlays the keys written in one table (prefix "defaults" or
// "hosts[i]") on base, reporting every bad value. A bad value leaves the
// base value in place; the config is invalid anyway.
func (ps *problems) apply(base settings, raw *rawSettings, prefix, home string) settings {
	s := base
	if raw == nil {
		return s
	}
	ps.applySSH(&s, raw, prefix, home)
	ps.applyTimes(&s, raw, prefix)
	ps.applyHypervisor(&s, raw, prefix)
	ps.applyBackups(&s, raw, prefix)
	ps.applyLimits(&s.limits, raw, prefix)
	return s
}

func (ps *problems) applySSH(s *settings, raw *rawSettings, prefix, home string) {
	if raw.User != nil {
		if v, ok := ps.validString(joinKey(prefix, "user"), raw.User, badUser); ok {
			s.user, s.userFrom = v, joinKey(prefix, "user")
		}
	}
	if raw.Port != nil {
		if why := badPort(*raw.Port); why != "" {
			ps.at(joinKey(prefix, "port"), why)
		} else {
			s.port, s.portFrom = *raw.Port, joinKey(prefix, "port")
		}
	}
	if raw.IdentityFiles != nil {
		key := joinKey(prefix, "identity_files")
		s.identityFiles, s.identityFrom = ps.paths(key, *raw.IdentityFiles, home), key
	}
	if raw.UseAgent != nil {
		s.useAgent, s.useAgentFrom = *raw.UseAgent, joinKey(prefix, "use_agent")
	}
	if raw.KnownHosts != nil {
		key := joinKey(prefix, "known_hosts")
		if len(*raw.KnownHosts) == 0 {
			ps.at(key, "no known_hosts file: host keys must be checked")
		}
		s.knownHosts, s.knownHostsFrom = ps.paths(key, *raw.KnownHosts, home), key
	}
}

func (ps *problems) applyTimes(s *settings, raw *rawSettings, prefix string) {
	for _, d := range []struct {
		key   string
		raw   *string
		dst   *time.Duration
		least time.Duration
	}{
		{"connect_timeout", raw.ConnectTimeout, &s.connectTimeout, MinConnectTimeout},
		{"probe_timeout", raw.ProbeTimeout, &s.probeTimeout, MinProbeTimeout},
		{"probe_interval", raw.ProbeInterval, &s.probeInterval, MinProbeInterval},
		{"backup_interval", raw.BackupInterval, &s.backupInterval, MinBackupInterval},
	} {
		if d.raw == nil {
			continue
		}
		if v, ok := ps.durationAtLeast(joinKey(prefix, d.key), *d.raw, d.least); ok {
			*d.dst = v
		}
	}
	if raw.ConnectTimeout != nil {
		s.connectTimeoutFrom = joinKey(prefix, "connect_timeout")
	}
}

func (ps *problems) applyHypervisor(s *settings, raw *rawSettings, prefix string) {
	if raw.Hypervisor != nil {
		if v, ok := ps.validString(joinKey(prefix, "hypervisor"), raw.Hypervisor, badHypervisor); ok {
			s.hypervisor = v
		}
	}
	if raw.LibvirtSocket != nil {
		if v, ok := ps.validString(joinKey(prefix, "libvirt_socket"), raw.LibvirtSocket, badSocket); ok {
			s.libvirtSocket = v
		}
	}
	if raw.LibvirtURI != nil {
		if v, ok := ps.validString(joinKey(prefix, "libvirt_uri"), raw.LibvirtURI, badURI); ok {
			s.libvirtURI = v
		}
	}
	if raw.Units != nil {
		key := joinKey(prefix, "units")
		if len(*raw.Units) == 0 {
			ps.at(key, "no units: list the service units that make up the hypervisor")
		}
		s.units, _ = ps.stringList(key, *raw.Units, badUnit)
	}
	if raw.Services != nil {
		s.services, _ = ps.stringList(joinKey(prefix, "services"), *raw.Services, badUnit)
		s.servicesSet = true
	}
	if raw.Sudo != nil {
		s.sudo = *raw.Sudo
	}
	if raw.Checks != nil {
		s.checks = ps.checkList(joinKey(prefix, "checks"), *raw.Checks)
	}
}

// checkList validates check names: known, and each listed once.
func (ps *problems) checkList(key string, list []string) []string {
	for i, c := range list {
		switch {
		case ps.bad[joinIndex(key, i)]:
		case !slices.Contains(checkNames, c):
			ps.atf(joinIndex(key, i), "unknown check %s: want one of %v%s", quote(c), checkNames, didYouMean(c, checkNames))
		case slices.Index(list, c) < i:
			ps.atf(joinIndex(key, i), "check %s listed twice", quote(c))
		}
	}
	return slices.Clone(list)
}

func badHypervisor(s string) string {
	if s == KindLibvirt || s == KindHyperV {
		return ""
	}
	return "unknown hypervisor " + quote(s) + ": want " + quote(KindLibvirt) + " or " + quote(KindHyperV)
}

func badSocket(s string) string {
	if why := noControl("libvirt socket", s); why != "" {
		return why
	}
	if s[0] != '/' {
		return "libvirt socket " + quote(s) + " must be an absolute path"
	}
	return ""
}

func badURI(s string) string {
	if why := noControl("libvirt URI", s); why != "" {
		return why
	}
	if !strings.Contains(s, ":") {
		return "libvirt URI " + quote(s) + ` has no scheme: want e.g. "qemu:///system"`
	}
	return ""
}

func badUnit(s string) string {
	if remote.ValidUnit(s) {
		return ""
	}
	return "invalid unit name " + quote(s) + ": use only letters, digits and @ . _ - (not starting with -)"
}
