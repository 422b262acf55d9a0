package hosts

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
)

// Limits for the global counts: generous, but they catch a stray digit.
const (
	maxConcurrency   = 10000
	maxHandshakesCap = 1000
)

// hostEntry is a host being built, with what jump resolution and the file
// checks still need.
type hostEntry struct {
	host   Host
	prefix string
	jump   *string
	s      settings
	// addressSet is whether the inventory writes the address.
	addressSet bool
	// sshJump is the chain ssh_config's ProxyJump gives (outermost first),
	// used when the inventory sets no jump.
	sshJump []Hop
}

// build turns the decoded file into a Config, reporting every problem.
func build(raw *rawConfig, ps *problems, opts LoadOptions) *Config {
	home := opts.Getenv("HOME")
	cfg := ps.globals(raw, opts.Getenv, home)
	d := ps.apply(builtinSettings(opts.Getenv), raw.Defaults, "defaults", home)
	entries := make([]hostEntry, 0, len(raw.Hosts))
	for i := range raw.Hosts {
		entries = append(entries, ps.hostEntry(&raw.Hosts[i], joinIndex("hosts", i), d, home, cfg.SSHConfig))
	}
	ps.uniqueNames(entries)
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background() // each lookup still has its own deadline
	}
	r := opts.SSH
	if r == nil {
		r = NewSSHResolver(SSHResolverOptions{}, opts.Getenv)
	}
	ps.sshFill(ctx, cfg, entries, r)
	ps.resolveJumps(entries)
	ps.checkFiles(entries, opts.CheckFile)
	for _, e := range entries {
		cfg.Hosts = append(cfg.Hosts, e.host)
	}
	cfg.Serve = ps.serveTable(raw.Serve, opts, home)
	cfg.Alerting = ps.alertingTable(raw.Alerting)
	return cfg
}

// globals reads the top-level keys and [defaults].concurrency.
func (ps *problems) globals(raw *rawConfig, getenv func(string) string, home string) *Config {
	cfg := &Config{
		SSHConfig:         SSHConfigSSH,
		explain:           map[string][]Setting{},
		Bell:              true,
		AuditLog:          filepath.Join(xdgDir(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state")), "hvconsole", "audit.jsonl"),
		Concurrency:       32,
		MaxHandshakes:     8,
		KeepaliveInterval: DefaultKeepaliveInterval,
		TCPKeepalive:      DefaultTCPKeepalive,
		HostKeyRecheck:    DefaultHostKeyRecheck,
	}
	if raw.ReadOnly != nil {
		cfg.ReadOnly = *raw.ReadOnly
	}
	if raw.Bell != nil {
		cfg.Bell = *raw.Bell
	}
	if raw.AuditLog != nil {
		if p, why := expandHome(*raw.AuditLog, home); why != "" {
			ps.at("audit_log", why)
		} else {
			cfg.AuditLog = p
		}
	}
	if raw.MaxHandshakes != nil {
		cfg.MaxHandshakes, _ = ps.positive("max_handshakes", *raw.MaxHandshakes, maxHandshakesCap)
	}
	if raw.KeepaliveInterval != nil {
		if d, ok := ps.durationAtLeast("keepalive_interval", *raw.KeepaliveInterval, MinKeepaliveInterval); ok {
			cfg.KeepaliveInterval = d
		}
	}
	if raw.TCPKeepalive != nil {
		if d, ok := ps.tcpKeepalive("tcp_keepalive", *raw.TCPKeepalive); ok {
			cfg.TCPKeepalive = d
		}
	}
	if raw.SSHConfig != nil {
		if v, ok := ps.validString("ssh_config", raw.SSHConfig, badSSHConfigMode); ok {
			cfg.SSHConfig = v
		}
	}
	if raw.HostKeyRecheck != nil {
		cfg.HostKeyRecheck, _ = ps.duration("host_key_recheck", *raw.HostKeyRecheck)
	}
	if raw.Defaults != nil && raw.Defaults.Concurrency != nil {
		cfg.Concurrency, _ = ps.positive("defaults.concurrency", *raw.Defaults.Concurrency, maxConcurrency)
	}
	return cfg
}

// hostEntry validates one [[hosts]] entry and applies defaults to it.
func (ps *problems) hostEntry(rh *rawHost, prefix string, d settings, home, sshMode string) hostEntry {
	var h Host
	if v, ok := ps.required(prefix, "name", rh.Name); ok {
		h.Name, _ = ps.validString(joinKey(prefix, "name"), &v, badName)
	}
	// With ssh_config in use the name alone is enough, as with `ssh NAME`.
	if rh.Address != nil || sshMode == SSHConfigOff {
		if v, ok := ps.required(prefix, "address", rh.Address); ok {
			h.Address, _ = ps.validString(joinKey(prefix, "address"), &v, badAddress)
		}
	}
	if rh.Tags != nil {
		h.Tags, _ = ps.stringList(joinKey(prefix, "tags"), *rh.Tags, badTag)
	}
	if rh.Concurrency != nil {
		ps.atKey(joinKey(prefix, "concurrency"), "concurrency is global: set it in [defaults], not per host")
	}
	s := ps.apply(d, &rh.rawSettings, prefix, home)
	ps.backupsForKind(s)
	if !s.servicesSet {
		s.services = s.units
	}
	fillHost(&h, s)
	return hostEntry{host: h, prefix: prefix, jump: rh.Jump, s: s, addressSet: rh.Address != nil}
}

// fillHost copies resolved settings into a host; slices are cloned so hosts
// never share backing arrays.
func fillHost(h *Host, s settings) {
	h.Port = s.port
	h.User = s.user
	h.IdentityFiles = slices.Clone(s.identityFiles)
	h.UseAgent = s.useAgent
	h.KnownHosts = slices.Clone(s.knownHosts)
	h.ConnectTimeout = s.connectTimeout
	h.ProbeTimeout = s.probeTimeout
	h.ProbeInterval = s.probeInterval
	h.Hypervisor = s.hypervisor
	h.LibvirtSocket = s.libvirtSocket
	h.LibvirtURI = s.libvirtURI
	h.Units = slices.Clone(s.units)
	h.Services = slices.Clone(s.services)
	h.Sudo = s.sudo
	h.Checks = slices.Clone(s.checks)
	h.Backups = slices.Clone(s.backups)
	h.BackupInterval = s.backupInterval
	s.limits.fill(h)
}

func badTag(s string) string {
	if nameRE.MatchString(s) {
		return ""
	}
	return "invalid tag " + quote(s) + ": use letters, digits, '.', '_' and '-', starting with a letter or digit"
}

// uniqueNames reports every host name used more than once, at each repeat.
func (ps *problems) uniqueNames(entries []hostEntry) {
	first := map[string]int{}
	for i, e := range entries {
		if e.host.Name == "" {
			continue
		}
		j, dup := first[e.host.Name]
		if !dup {
			first[e.host.Name] = i
			continue
		}
		where := entries[j].prefix
		if p := ps.idx.lookup(joinKey(where, "name")); p.Known() {
			where = fmt.Sprintf("line %d", p.Line)
		}
		ps.atf(joinKey(e.prefix, "name"), "duplicate host name %s (first defined at %s)", quote(e.host.Name), where)
	}
}

// checkFiles reports every identity and known_hosts file that a host uses
// and that cannot be read, once per place it is written.
func (ps *problems) checkFiles(entries []hostEntry, check func(string) error) {
	seen := map[string]bool{}
	for _, e := range entries {
		ps.checkFileList(seen, sshWhat("identity file", e.s.identitySSH), e.s.identityFrom, "defaults.identity_files", e.host.IdentityFiles, check)
		ps.checkFileList(seen, sshWhat("known_hosts file", e.s.knownHostsSSH), e.s.knownHostsFrom, "defaults.known_hosts", e.host.KnownHosts, check)
		for _, hop := range e.sshJump {
			jump := joinKey(e.prefix, "jump")
			ps.checkFileList(seen, "identity file of ProxyJump hop "+quote(hop.Name)+" (from ssh_config)", jump, "", hop.IdentityFiles, check)
			ps.checkFileList(seen, "known_hosts file of ProxyJump hop "+quote(hop.Name)+" (from ssh_config)", jump, "", hop.KnownHosts, check)
		}
		if e.s.userFrom == "" && !seen["user"] {
			seen["user"] = true
			if why := badUser(e.host.User); why != "" {
				ps.noPos("defaults.user", why+" (taken from $USER: set user in the config)")
			}
		}
	}
}

// sshWhat names a file kind, marking files taken from ssh_config.
func sshWhat(what string, fromSSH bool) string {
	if fromSSH {
		return what + " (from ssh_config)"
	}
	return what
}

func (ps *problems) checkFileList(seen map[string]bool, what, from, builtinKey string, files []string, check func(string) error) {
	for i, f := range files {
		if f == "" {
			continue // already reported as a bad path
		}
		key := builtinKey
		if from != "" {
			key = joinIndex(from, i)
		}
		if seen[key+"\x00"+f] {
			continue
		}
		seen[key+"\x00"+f] = true
		err := check(f)
		switch {
		case err == nil:
		case from == "":
			ps.noPos(key, fmt.Sprintf("%s %s (built-in default) cannot be read: %s", what, quote(f), describeFileErr(err)))
		default:
			ps.at(key, fmt.Sprintf("%s %s cannot be read: %s", what, quote(f), describeFileErr(err)))
		}
	}
}
