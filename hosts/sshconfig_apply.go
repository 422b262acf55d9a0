package hosts

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxProxyJumpDepth bounds how many ProxyJump lists are followed through
// first hops that have their own ProxyJump.
const maxProxyJumpDepth = 8

// sshFill completes every host from ssh_config where the inventory leaves
// a connection setting unset: the inventory beats ssh_config, which beats
// hvconsole's defaults. It runs before jumps are resolved, so a ProxyJump
// becomes the host's chain unless the inventory sets jump.
func (ps *problems) sshFill(ctx context.Context, cfg *Config, entries []hostEntry, r *SSHResolver) {
	qs := make([]sshQuery, len(entries))
	for i, e := range entries {
		qs[i] = entryQuery(cfg.SSHConfig, e)
	}
	var lookups []*sshLookup
	if cfg.SSHConfig != SSHConfigOff {
		lookups = r.lookupAll(ctx, qs)
	}
	for i := range entries {
		var l *sshLookup
		if lookups != nil {
			l = lookups[i]
		}
		if entries[i].host.Name == "" {
			continue // already reported
		}
		f := sshFiller{ps: ps, e: &entries[i], l: l, r: r, ctx: ctx, mode: cfg.SSHConfig}
		f.fill()
		cfg.explain[entries[i].host.Name] = f.explain
	}
}

// entryQuery is the lookup for one host: its name as the alias, with the
// address, user and port the inventory fixes.
func entryQuery(mode string, e hostEntry) sshQuery {
	q := sshQuery{mode: mode, alias: e.host.Name}
	if e.addressSet {
		q.hostName = e.host.Address
	}
	if e.s.userFrom != "" {
		q.user = e.s.user
	}
	if e.s.portFrom != "" {
		q.port = e.s.port
	}
	return q
}

// sshFiller fills one host and records where each setting came from.
type sshFiller struct {
	ps      *problems
	e       *hostEntry
	l       *sshLookup // nil when ssh_config is off
	r       *SSHResolver
	ctx     context.Context
	mode    string
	explain []Setting
}

// Setting is one effective connection setting of a host and where it came
// from, as `hvconsole validate --explain HOST` prints it.
type Setting struct {
	Key    string
	Value  string
	Source string
	// Note says why a value from ssh_config is not used, if it is not.
	Note string
}

func (f *sshFiller) fill() {
	e, prefix := f.e, f.e.prefix
	if f.l != nil && f.l.err != nil {
		f.ps.at(prefix, "ssh_config: "+f.l.err.Error()+` (set ssh_config = "off" to ignore ssh_config)`)
		return
	}
	f.address()
	if v, src, ok := f.take(e.s.userFrom, kwUser); ok {
		if why := badUser(v); why != "" {
			f.ps.at(prefix, src+": "+why)
		} else {
			e.s.user, e.host.User = v, v
		}
	}
	f.add("user", e.host.User, f.src(e.s.userFrom, kwUser))
	if v, src, ok := f.take(e.s.portFrom, kwPort); ok {
		n, err := strconv.Atoi(v)
		if why := badPort(n); err != nil || why != "" {
			f.ps.at(prefix, src+": invalid port "+quote(v))
		} else {
			e.s.port, e.host.Port = n, n
		}
	}
	f.add("port", strconv.Itoa(e.host.Port), f.src(e.s.portFrom, kwPort))
	f.files()
	f.timeouts()
	f.jump()
	f.hostKeys()
}

// take returns ssh_config's value of kw when the inventory did not set the
// setting (from is ""), reporting a value the parser could not resolve.
func (f *sshFiller) take(from, kw string) (string, string, bool) {
	if from != "" || f.l == nil {
		return "", "", false
	}
	if why, ok := f.l.unresolved[kw]; ok {
		f.ps.at(f.e.prefix, fmt.Sprintf("ssh_config %s could not be resolved: %s; set it in the inventory", sshKeywordNames[kw], why))
		return "", "", false
	}
	v, ok := f.l.first(kw)
	return v, "ssh_config " + sshKeywordNames[kw], ok
}

// src words where a setting came from: the inventory key and its line,
// ssh_config, or hvconsole's default.
func (f *sshFiller) src(from, kw string) string {
	if from != "" {
		if p := f.ps.idx.lookup(from); p.Known() {
			return fmt.Sprintf("%s (line %d)", from, p.Line)
		}
		return from
	}
	if f.l != nil && len(f.l.vals[kw]) > 0 {
		return "ssh_config " + sshKeywordNames[kw] + " (" + f.l.via + ")"
	}
	return "default"
}

func (f *sshFiller) add(key, value, source string) {
	f.explain = append(f.explain, Setting{Key: key, Value: value, Source: source})
}

// address takes HostName when the inventory has no address; without
// either, the host's name is its address, as with `ssh NAME`.
func (f *sshFiller) address() {
	e := f.e
	from := ""
	if e.addressSet {
		from = joinKey(e.prefix, "address")
	}
	if f.l == nil && !e.addressSet {
		return // reported as missing by hostEntry
	}
	if v, src, ok := f.take(from, kwHostName); ok {
		v, why := expandSSHTokens(v, sshTokens{alias: e.host.Name, hostName: e.host.Name})
		if why == "" {
			why = badAddress(v)
		}
		if why != "" {
			f.ps.at(e.prefix, src+": "+why)
		} else {
			e.host.Address = v
		}
	} else if !e.addressSet && !f.unresolved(kwHostName) {
		e.host.Address = e.host.Name
	}
	source := f.src(from, kwHostName)
	if source == "default" {
		source = "the host's name (no HostName in ssh_config)"
	}
	f.add("address", e.host.Address, source)
}

func (f *sshFiller) unresolved(kw string) bool {
	_, ok := f.l.unresolved[kw]
	return ok
}

// tokens are the values %-tokens expand to for this host.
func (f *sshFiller) tokens() sshTokens {
	h := f.e.host
	return sshTokens{alias: h.Name, hostName: h.Address, user: h.User, localUser: f.r.localUser, home: f.r.home, port: h.Port}
}

// files takes IdentityFile, IdentitiesOnly and UserKnownHostsFile.
func (f *sshFiller) files() {
	e := f.e
	if _, src, ok := f.take(e.s.identityFrom, kwIdentityFile); ok {
		if list, good := f.paths(src, f.l.vals[kwIdentityFile]); good {
			e.s.identityFiles, e.host.IdentityFiles = list, list
			e.s.identityFrom, e.s.identitySSH = joinKey(e.prefix, "identity_files"), true
		}
	}
	f.add("identity_files", listOrNone(e.host.IdentityFiles), f.srcSSH(e.s.identityFrom, e.s.identitySSH, kwIdentityFile))
	if v, _, ok := f.take(e.s.useAgentFrom, kwIdentitiesOnly); ok && v == "yes" {
		e.s.useAgent, e.host.UseAgent = false, false
	}
	f.add("use_agent", strconv.FormatBool(e.host.UseAgent), f.src(e.s.useAgentFrom, kwIdentitiesOnly))
	if v, src, ok := f.take(e.s.knownHostsFrom, kwKnownHosts); ok {
		if list, good := f.paths(src, strings.Fields(v)); good {
			e.s.knownHosts, e.host.KnownHosts = list, list
			e.s.knownHostsFrom, e.s.knownHostsSSH = joinKey(e.prefix, "known_hosts"), true
		}
	}
	f.add("known_hosts", listOrNone(e.host.KnownHosts), f.srcSSH(e.s.knownHostsFrom, e.s.knownHostsSSH, kwKnownHosts))
}

// srcSSH is src for a setting whose From was set to a key path when it was
// taken from ssh_config.
func (f *sshFiller) srcSSH(from string, fromSSH bool, kw string) string {
	if fromSSH {
		from = ""
	}
	return f.src(from, kw)
}

// paths expands tokens in each path from ssh_config and checks it.
func (f *sshFiller) paths(src string, list []string) ([]string, bool) {
	out := make([]string, 0, len(list))
	for _, p := range list {
		exp, why := expandSSHTokens(p, f.tokens())
		if why == "" {
			why = noControl("path", exp)
		}
		if why != "" {
			f.ps.at(f.e.prefix, src+" "+quote(p)+": "+why)
			return nil, false
		}
		out = append(out, exp)
	}
	return out, true
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}

// timeouts takes ConnectTimeout, and shows ServerAliveInterval and
// TCPKeepAlive, which hvconsole does not take per host (keepalive_interval
// and tcp_keepalive are global).
func (f *sshFiller) timeouts() {
	e := f.e
	if v, src, ok := f.take(e.s.connectTimeoutFrom, kwConnectTimeout); ok {
		if d, good := sshSeconds(v); good {
			e.s.connectTimeout, e.host.ConnectTimeout = d, d
		} else {
			f.ps.at(e.prefix, src+": invalid time "+quote(v))
		}
	}
	f.add("connect_timeout", e.host.ConnectTimeout.String(), f.src(e.s.connectTimeoutFrom, kwConnectTimeout))
	if f.l == nil {
		return
	}
	if v, ok := f.l.first(kwServerAlive); ok {
		f.explain = append(f.explain, Setting{Key: "server_alive", Value: v + "s", Source: "ssh_config ServerAliveInterval (" + f.l.via + ")",
			Note: "not used: keepalive_interval is global in hvconsole"})
	}
	if v, ok := f.l.first(kwTCPKeepAlive); ok {
		f.explain = append(f.explain, Setting{Key: "tcp_keepalive", Value: v, Source: "ssh_config TCPKeepAlive (" + f.l.via + ")",
			Note: "not used: tcp_keepalive is global in hvconsole"})
	}
}

// sshSeconds parses ssh's time format: seconds, or a number with s, m, h,
// d or w, possibly several ("1m30s"), as ConnectTimeout is written.
func sshSeconds(s string) (time.Duration, bool) {
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	var total time.Duration
	n, digits := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		switch {
		case s[i] >= '0' && s[i] <= '9':
			n, digits = n*10+int(s[i]-'0'), digits+1
			if digits > 7 {
				return 0, false
			}
		case units[c] != 0 && digits > 0:
			total += time.Duration(n) * units[c]
			n, digits = 0, 0
		default:
			return 0, false
		}
	}
	total += time.Duration(n) * time.Second
	return total, total > 0 && total <= 24*time.Hour
}

// hostKeys says that ssh_config never loosens host-key checking.
func (f *sshFiller) hostKeys() {
	if f.l == nil {
		return
	}
	v, ok := f.l.first(kwStrict)
	if !ok {
		return
	}
	set := Setting{Key: "host_keys", Value: "strict", Source: "hvconsole (always)"}
	switch strings.ToLower(v) {
	case "no", "false", "off", "accept-new":
		set.Note = "StrictHostKeyChecking " + v + " in ssh_config is ignored: unknown or changed host keys are always refused"
		f.ps.notices = append(f.ps.notices, Problem{Pos: f.ps.idx.lookup(joinKey(f.e.prefix, "name")), KeyPath: f.e.prefix,
			Reason: "host " + quote(f.e.host.Name) + ": " + set.Note})
	}
	f.explain = append(f.explain, set)
}

// jump takes ProxyJump unless the inventory sets jump.
func (f *sshFiller) jump() {
	e := f.e
	from := ""
	if e.jump != nil {
		from = joinKey(e.prefix, "jump")
	}
	if v, src, ok := f.take(from, kwProxyJump); ok {
		hops, why := f.proxyJump(v, e.host, 0)
		if why != "" {
			f.ps.at(e.prefix, src+" "+quote(v)+": "+why)
		} else {
			e.sshJump = hops
		}
	}
	if e.jump != nil {
		f.add("jump", *e.jump, f.src(from, kwProxyJump))
		return
	}
	desc := "(direct)"
	if len(e.sshJump) > 0 {
		desc = describeHops(e.sshJump)
	}
	f.add("jump", desc, f.src("", kwProxyJump))
}

func describeHops(hops []Hop) string {
	parts := make([]string, len(hops))
	for i, h := range hops {
		parts[i] = fmt.Sprintf("%s (%s@%s:%d)", h.Name, h.User, h.Address, h.Port)
	}
	return strings.Join(parts, " -> ")
}

// Explain returns the effective connection settings of the named host and
// where each came from, in a fixed order.
func (c *Config) Explain(name string) ([]Setting, bool) {
	s, ok := c.explain[name]
	return slices.Clone(s), ok
}
