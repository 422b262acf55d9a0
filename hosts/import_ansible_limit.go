package hosts

import (
	"fmt"
	"slices"
	"strings"
)

// limit applies an Ansible host pattern as `ansible --limit` does:
// terms separated by ':' or ','; a term is a host or group name (globs
// with * and ?); "&term" intersects, "!term" excludes, the rest unite.
// Regular expressions ("~...") are refused rather than guessed.
func (inv *AnsibleInventory) limit(hosts []string, pattern string) ([]string, error) {
	var union, inter, minus []string
	for _, term := range strings.FieldsFunc(pattern, func(r rune) bool { return r == ':' || r == ',' }) {
		switch {
		case strings.HasPrefix(term, "~"):
			return nil, fmt.Errorf("--limit %q: regular expressions (~) are not supported; use globs", pattern)
		case strings.HasPrefix(term, "&"):
			inter = append(inter, term[1:])
		case strings.HasPrefix(term, "!"):
			minus = append(minus, term[1:])
		default:
			union = append(union, term)
		}
	}
	var out []string
	for _, h := range hosts {
		if inv.matchAny(h, union) && !inv.matchAny(h, minus) && inv.matchAll(h, inter) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--limit %q matches no host", pattern)
	}
	return out, nil
}

func (inv *AnsibleInventory) matchAny(host string, terms []string) bool {
	return slices.ContainsFunc(terms, func(t string) bool { return inv.matchTerm(host, t) })
}

func (inv *AnsibleInventory) matchAll(host string, terms []string) bool {
	for _, t := range terms {
		if !inv.matchTerm(host, t) {
			return false
		}
	}
	return true
}

// matchTerm reports whether host is named by term, or is in a group named
// by it (children included).
func (inv *AnsibleInventory) matchTerm(host, term string) bool {
	if term == "all" || globMatch(term, host) {
		return true
	}
	for g := range inv.groups {
		if globMatch(term, g) && inv.inGroup(host, g) {
			return true
		}
	}
	return false
}

// inGroup reports whether host is in g or one of its children.
func (inv *AnsibleInventory) inGroup(host, g string) bool {
	found := false
	walkGroups([]string{g}, inv.children, func(cur string) bool {
		found = slices.Contains(inv.groups[cur].Hosts, host)
		return found
	})
	return found
}
