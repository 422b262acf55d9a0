package hosts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// maxAnsibleJSON bounds the inventory JSON read (from ansible-inventory or
// stdin): 10,000 hosts with their vars are a few MiB.
const maxAnsibleJSON = 64 << 20

// ErrAnsibleJSON marks input that is not `ansible-inventory --list` JSON.
var ErrAnsibleJSON = errors.New("hosts: not ansible-inventory --list JSON")

// AnsibleInventory is the output of `ansible-inventory --list --export`:
// groups with their hosts, children and vars, and each host's own vars.
type AnsibleInventory struct {
	groups   map[string]ansibleGroup
	hostVars map[string]map[string]any
}

type ansibleGroup struct {
	Hosts    []string       `json:"hosts"`
	Children []string       `json:"children"`
	Vars     map[string]any `json:"vars"`
}

// DecodeAnsible reads `ansible-inventory --list [--export]` JSON. Without
// --export the group vars are already folded into each host; both work.
func DecodeAnsible(r io.Reader) (*AnsibleInventory, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxAnsibleJSON+1))
	if err != nil {
		return nil, fmt.Errorf("hosts: read ansible inventory: %w", err)
	}
	if len(data) > maxAnsibleJSON {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrAnsibleJSON, maxAnsibleJSON>>20)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAnsibleJSON, err)
	}
	inv := &AnsibleInventory{groups: map[string]ansibleGroup{}, hostVars: map[string]map[string]any{}}
	for name, raw := range top {
		if name == "_meta" {
			var meta struct {
				HostVars map[string]map[string]any `json:"hostvars"`
			}
			if err := decodeNumbers(raw, &meta); err != nil {
				return nil, fmt.Errorf("%w: _meta: %v", ErrAnsibleJSON, err)
			}
			for h, v := range meta.HostVars {
				inv.hostVars[h] = v
			}
			continue
		}
		var g ansibleGroup
		if err := decodeNumbers(raw, &g); err != nil {
			return nil, fmt.Errorf("%w: group %q: %v", ErrAnsibleJSON, name, err)
		}
		inv.groups[name] = g
	}
	if _, ok := inv.groups["all"]; !ok {
		return nil, fmt.Errorf("%w: no group \"all\"", ErrAnsibleJSON)
	}
	return inv, nil
}

// decodeNumbers decodes keeping numbers as json.Number, so a port is not
// turned into a float.
func decodeNumbers(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// walkGroups visits groups breadth first from start, each once (so the
// walk is bounded by the group count even if the input loops), following
// next; it stops early when visit returns true.
func walkGroups(start []string, next func(string) []string, visit func(string) bool) {
	seen := map[string]bool{}
	queue := slices.Clone(start)
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		if seen[g] {
			continue
		}
		seen[g] = true
		if visit(g) {
			return
		}
		queue = append(queue, next(g)...)
	}
}

func (inv *AnsibleInventory) children(g string) []string { return inv.groups[g].Children }

// depths gives each group its distance from "all"; groups not reachable
// from "all" count as its children.
func (inv *AnsibleInventory) depths() map[string]int {
	d := map[string]int{"all": 0}
	walkGroups([]string{"all"}, func(g string) []string {
		for _, c := range inv.groups[g].Children {
			if _, ok := d[c]; !ok {
				d[c] = d[g] + 1
			}
		}
		return inv.groups[g].Children
	}, func(string) bool { return false })
	for g := range inv.groups {
		if _, ok := d[g]; !ok {
			d[g] = 1
		}
	}
	return d
}

// hostOrder lists every host once: groups walked from "all" in the order
// their children are listed, hosts in the order each group lists them;
// then groups not under "all", then hosts only in _meta.
func (inv *AnsibleInventory) hostOrder() []string {
	var out []string
	seenHost, seenGroup := map[string]bool{}, map[string]bool{}
	add := func(hs ...string) {
		for _, h := range hs {
			if !seenHost[h] {
				seenHost[h] = true
				out = append(out, h)
			}
		}
	}
	walkGroups([]string{"all"}, inv.children, func(g string) bool {
		seenGroup[g] = true
		add(inv.groups[g].Hosts...)
		return false
	})
	for _, g := range sortedKeys(inv.groups) {
		if !seenGroup[g] {
			add(inv.groups[g].Hosts...)
		}
	}
	add(sortedKeys(inv.hostVars)...)
	return out
}

// groupsOf returns every group host belongs to, directly or through
// children, ordered as Ansible applies their vars: shallow groups first,
// then by name; "all" and "ungrouped" included.
func (inv *AnsibleInventory) groupsOf(host string, depth map[string]int, parents map[string][]string) []string {
	member := map[string]bool{"all": true}
	var direct []string
	for g, grp := range inv.groups {
		if slices.Contains(grp.Hosts, host) {
			direct = append(direct, g)
		}
	}
	walkGroups(direct, func(g string) []string { return parents[g] }, func(g string) bool {
		member[g] = true
		return false
	})
	out := sortedKeys(member)
	slices.SortStableFunc(out, func(a, b string) int { return depth[a] - depth[b] })
	return out
}

func (inv *AnsibleInventory) parents() map[string][]string {
	p := map[string][]string{}
	for _, g := range sortedKeys(inv.groups) {
		for _, c := range inv.groups[g].Children {
			p[c] = append(p[c], g)
		}
	}
	return p
}

// AnsibleImportOptions choose what `hvconsole import ansible` writes.
type AnsibleImportOptions struct {
	// Limit is an Ansible host pattern ("kvm:&dc1:!kvm-03", globs allowed);
	// "" imports every host.
	Limit string
	// GroupTags turns each group a host belongs to into a tag; without it
	// the groups are listed in a comment.
	GroupTags bool
}

// Import maps every selected host to an inventory entry.
func (inv *AnsibleInventory) Import(opts AnsibleImportOptions) ([]ImportedHost, error) {
	hosts := inv.hostOrder()
	if opts.Limit != "" {
		var err error
		if hosts, err = inv.limit(hosts, opts.Limit); err != nil {
			return nil, err
		}
	}
	depth, parents := inv.depths(), inv.parents()
	out := make([]ImportedHost, 0, len(hosts))
	for _, h := range hosts {
		groups := inv.groupsOf(h, depth, parents)
		vars := map[string]any{}
		for _, g := range groups {
			for k, v := range inv.groups[g].Vars {
				vars[k] = v
			}
		}
		for k, v := range inv.hostVars[h] {
			vars[k] = v
		}
		out = append(out, mapAnsibleHost(h, groups, vars, opts.GroupTags))
	}
	uniqueImportNames(out)
	return out, nil
}
