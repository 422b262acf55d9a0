package hosts

import (
	"net"
	"slices"
	"strconv"
	"strings"
)

// resolveJumps turns every host's jump into its chain of hops, outermost
// first. A jump names another inventory host (which may itself jump) or is
// an ad-hoc "user@host:port" endpoint, recognised by holding '@', ':' or
// '.': a bare word that names no host is a typo, not a DNS name.
func (ps *problems) resolveJumps(entries []hostEntry) {
	first := map[string]int{}
	for i, e := range entries {
		if _, dup := first[e.host.Name]; !dup && e.host.Name != "" {
			first[e.host.Name] = i
		}
	}
	next := make([]int, len(entries))
	// adhoc holds hops that are not inventory hosts, outermost first: an
	// ad-hoc jump, or the chain ssh_config's ProxyJump gave.
	adhoc := make([][]Hop, len(entries))
	for i, e := range entries {
		next[i] = -1
		if e.jump == nil {
			adhoc[i] = e.sshJump
			continue
		}
		key, v := joinKey(e.prefix, "jump"), *e.jump
		j, named := first[v]
		switch {
		case named && j == i:
			ps.atf(key, "jump loop: host %s jumps through itself", quote(v))
		case named:
			next[i] = j
		case strings.ContainsAny(v, "@:."):
			hop, why := adhocHop(v, e.host)
			if why != "" {
				ps.at(key, why)
			} else {
				adhoc[i] = []Hop{hop}
			}
		default:
			ps.atf(key, "jump names unknown host %s", quote(v))
		}
	}
	loops := ps.jumpLoops(entries, next)
	depth := jumpDepths(next, adhoc, loops)
	for i, e := range entries {
		switch {
		case loops[i]:
		case depth[i] <= MaxJumpDepth:
			entries[i].host.Jump = chain(entries, next, adhoc, i)
		case next[i] < 0 || depth[next[i]] <= MaxJumpDepth: // the first host past the cap
			ps.atf(joinKey(e.prefix, "jump"), "jump chain of %d hops: at most %d", depth[i], MaxJumpDepth)
		}
	}
}

// MaxJumpDepth caps the hops in front of a host. Each hop is a full SSH
// handshake inside the previous one; real networks need two or three, and
// without a cap a long chain made validation build chains quadratic in the
// inventory (a 2000-deep chain took 432 MB).
const MaxJumpDepth = 8

// jumpDepths is each host's number of hops, found without building the
// chains: a walk up the jumps, remembering every depth found. Hosts in or
// leading into a loop are left at 0.
func jumpDepths(next []int, adhoc [][]Hop, loops []bool) []int {
	depth := make([]int, len(next))
	known := make([]bool, len(next))
	var path []int
	for i := range next {
		path = path[:0]
		cur := i
		for !known[cur] && !loops[cur] && len(adhoc[cur]) == 0 && next[cur] >= 0 {
			path = append(path, cur)
			cur = next[cur]
		}
		d := depth[cur]
		if !known[cur] {
			d = len(adhoc[cur]) // 0 for a direct host or a loop
			depth[cur], known[cur] = d, true
		}
		for k := len(path) - 1; k >= 0; k-- {
			d++
			depth[path[k]], known[path[k]] = d, true
		}
	}
	return depth
}

// jumpLoops reports each cycle of inventory jumps once, at the jump of its
// first host, and returns which hosts are in or lead into a cycle.
func (ps *problems) jumpLoops(entries []hostEntry, next []int) []bool {
	const (
		unvisited = iota
		walking
		done
	)
	state := make([]int, len(next))
	loops := make([]bool, len(next))
	for i := range next {
		var path []int
		cur := i
		for cur >= 0 && state[cur] == unvisited {
			state[cur] = walking
			path = append(path, cur)
			cur = next[cur]
		}
		looped := cur >= 0 && (state[cur] == walking || loops[cur])
		if cur >= 0 && state[cur] == walking {
			ps.reportLoop(entries, next, path[slices.Index(path, cur):])
		}
		for _, k := range path {
			state[k] = done
			loops[k] = looped
		}
	}
	return loops
}

// reportLoop words a cycle starting from its first host in inventory order.
func (ps *problems) reportLoop(entries []hostEntry, next []int, cycle []int) {
	start := slices.Min(cycle)
	names := []string{quote(entries[start].host.Name)}
	for k := next[start]; ; k = next[k] {
		names = append(names, quote(entries[k].host.Name))
		if k == start {
			break
		}
	}
	ps.at(joinKey(entries[start].prefix, "jump"), "jump loop: "+strings.Join(names, " -> "))
}

// chain collects host i's hops, innermost first, then reverses them. The
// walk is bounded by the host count; jumpLoops has excluded cycles.
func chain(entries []hostEntry, next []int, adhoc [][]Hop, i int) []Hop {
	var hops []Hop
	for cur, steps := i, 0; steps <= len(entries); steps++ {
		if len(adhoc[cur]) > 0 {
			for k := len(adhoc[cur]) - 1; k >= 0; k-- {
				hops = append(hops, adhoc[cur][k])
			}
			break
		}
		j := next[cur]
		if j < 0 {
			break
		}
		hops = append(hops, inventoryHop(entries[j].host))
		cur = j
	}
	slices.Reverse(hops)
	return hops
}

// inventoryHop is an inventory host used as a hop, with its own
// credentials and known_hosts.
func inventoryHop(h Host) Hop {
	return Hop{
		Name:          h.Name,
		Address:       h.Address,
		Port:          h.Port,
		User:          h.User,
		KnownHosts:    slices.Clone(h.KnownHosts),
		IdentityFiles: slices.Clone(h.IdentityFiles),
		UseAgent:      h.UseAgent,
	}
}

// adhocHop parses "[user@]host[:port]" (IPv6 in brackets when a port is
// given). The hop uses the credentials and known_hosts of the host that
// names it, and its user unless one is written.
func adhocHop(spec string, via Host) (Hop, string) {
	hop := Hop{
		Name:          spec,
		Port:          22,
		User:          via.User,
		KnownHosts:    slices.Clone(via.KnownHosts),
		IdentityFiles: slices.Clone(via.IdentityFiles),
		UseAgent:      via.UseAgent,
	}
	rest := spec
	if at := strings.LastIndex(spec, "@"); at >= 0 {
		hop.User, rest = spec[:at], spec[at+1:]
		if why := badUser(hop.User); why != "" {
			return Hop{}, "jump " + quote(spec) + ": " + why
		}
	}
	host, port, why := splitHostPort(rest)
	if why == "" {
		why = badAddress(host)
	}
	if why != "" {
		return Hop{}, "jump " + quote(spec) + ": " + why
	}
	hop.Address = host
	if port != 0 {
		hop.Port = port
	}
	return hop, ""
}

// splitHostPort splits "host", "host:port", "[v6]:port", "[v6]" or a bare
// IPv6 address; port is 0 when none is written.
func splitHostPort(s string) (string, int, string) {
	if !strings.HasPrefix(s, "[") && strings.Count(s, ":") != 1 {
		return s, 0, ""
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return s[1 : len(s)-1], 0, ""
	}
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, "invalid host:port " + quote(s)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, "invalid port " + quote(p)
	}
	if why := badPort(port); why != "" {
		return "", 0, why
	}
	return host, port, ""
}
