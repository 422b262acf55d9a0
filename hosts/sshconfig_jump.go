package hosts

import (
	"fmt"
	"strconv"
	"strings"
)

// proxyJump turns a ProxyJump list into hops, outermost first. Each hop is
// itself resolved through ssh_config (it may be an alias); as with OpenSSH,
// the first hop's own ProxyJump is followed, later hops' are not.
func (f *sshFiller) proxyJump(spec string, via Host, depth int) ([]Hop, string) {
	if depth >= maxProxyJumpDepth {
		return nil, fmt.Sprintf("ProxyJump nested more than %d deep (a loop?)", maxProxyJumpDepth)
	}
	var hops []Hop
	for i, part := range strings.Split(spec, ",") {
		hop, pj, why := f.hop(part, via)
		if why != "" {
			return nil, why
		}
		if i == 0 && pj != "" {
			outer, why := f.proxyJump(pj, via, depth+1)
			if why != "" {
				return nil, why
			}
			hops = append(hops, outer...)
		}
		hops = append(hops, hop)
	}
	return hops, ""
}

// hop resolves one "[user@]host[:port]" (or ssh://...) of a ProxyJump and
// returns its own ProxyJump, if any.
func (f *sshFiller) hop(part string, via Host) (Hop, string, string) {
	user, host, port, why := splitJumpSpec(part)
	if why != "" {
		return Hop{}, "", why
	}
	l := f.r.lookup(f.ctx, sshQuery{mode: f.mode, alias: host, user: user, port: port})
	if l.err != nil {
		return Hop{}, "", "hop " + quote(part) + ": " + l.err.Error()
	}
	for _, kw := range []string{kwHostName, kwUser, kwPort, kwProxyJump, kwIdentityFile, kwKnownHosts} {
		if why, ok := l.unresolved[kw]; ok {
			return Hop{}, "", fmt.Sprintf("hop %s: ssh_config %s could not be resolved: %s", quote(part), sshKeywordNames[kw], why)
		}
	}
	hop := inventoryHop(via)
	hop.Name, hop.Address, hop.Port = part, host, 22
	if v, ok := l.first(kwHostName); ok {
		hop.Address, _ = expandSSHTokens(v, sshTokens{alias: host, hostName: host})
	}
	if v, ok := l.first(kwUser); ok && user == "" {
		hop.User = v
	}
	if user != "" {
		hop.User = user
	}
	if v, ok := l.first(kwPort); ok {
		hop.Port, _ = strconv.Atoi(v)
	}
	if port != 0 {
		hop.Port = port
	}
	if why := firstNonEmpty(badAddress(hop.Address), badUser(hop.User), badPort(hop.Port)); why != "" {
		return Hop{}, "", "hop " + quote(part) + ": " + why
	}
	if v, ok := l.first(kwIdentitiesOnly); ok && v == "yes" {
		hop.UseAgent = false
	}
	tok := sshTokens{alias: host, hostName: hop.Address, user: hop.User, localUser: f.r.localUser, home: f.r.home, port: hop.Port}
	var why2 string
	if v := l.vals[kwIdentityFile]; len(v) > 0 {
		hop.IdentityFiles, why2 = expandAll(v, tok)
	}
	if v, ok := l.first(kwKnownHosts); ok && why2 == "" {
		hop.KnownHosts, why2 = expandAll(strings.Fields(v), tok)
	}
	if why2 != "" {
		return Hop{}, "", "hop " + quote(part) + ": " + why2
	}
	pj, _ := l.first(kwProxyJump)
	return hop, pj, ""
}

func expandAll(list []string, tok sshTokens) ([]string, string) {
	out := make([]string, 0, len(list))
	for _, p := range list {
		exp, why := expandSSHTokens(p, tok)
		if why == "" {
			why = noControl("path", exp)
		}
		if why != "" {
			return nil, quote(p) + ": " + why
		}
		out = append(out, exp)
	}
	return out, ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// splitJumpSpec parses one ProxyJump hop: "[user@]host[:port]" or
// "ssh://[user@]host[:port]". The host must be a valid address or alias
// (it starts with a letter, digit or '_', so ssh never reads it as an
// option).
func splitJumpSpec(spec string) (user, host string, port int, why string) {
	rest := strings.TrimPrefix(strings.TrimSpace(spec), "ssh://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, rest = rest[:at], rest[at+1:]
		if why := badUser(user); why != "" {
			return "", "", 0, "hop " + quote(spec) + ": " + why
		}
	}
	host, port, why = splitHostPort(rest)
	if why == "" {
		why = badAddress(host)
	}
	if why != "" {
		return "", "", 0, "hop " + quote(spec) + ": " + why
	}
	return user, host, port, ""
}
