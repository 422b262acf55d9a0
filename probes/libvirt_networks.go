package probes

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// maxNetworks bounds how many virtual networks one round asks about.
const maxNetworks = 256

// netState is one virtual network's flags.
type netState struct {
	name              string
	active, autostart bool
}

// netFacts is what the vms check learned about virtual networks. A
// failure here never fails the vms check: it is reported in its details
// (a daemon without the network driver refuses).
type netFacts struct {
	nets   []netState
	capped bool
	err    error
}

// listNetworks reads every network's active and autostart flags in three
// calls whatever their number: all networks, the active ones and the
// autostart ones (libvirt's list filters). A network defined between the
// calls is shown inactive or without autostart until the next round.
func listNetworks(api libvirtAPI) netFacts {
	nets, _, err := api.ConnectListAllNetworks(1, 0)
	if err != nil {
		return netFacts{err: fmt.Errorf("list networks: %w", err)}
	}
	active, err := networkNames(api, libvirt.ConnectListNetworksActive)
	if err != nil {
		return netFacts{err: fmt.Errorf("list active networks: %w", err)}
	}
	auto, err := networkNames(api, libvirt.ConnectListNetworksAutostart)
	if err != nil {
		return netFacts{err: fmt.Errorf("list autostart networks: %w", err)}
	}
	f := netFacts{capped: len(nets) > maxNetworks}
	nets = nets[:min(len(nets), maxNetworks)]
	for _, n := range nets {
		f.nets = append(f.nets, netState{name: remote.CleanLine(n.Name), active: active[n.Name], autostart: auto[n.Name]})
	}
	slices.SortFunc(f.nets, func(a, b netState) int { return strings.Compare(a.name, b.name) })
	return f
}

// networkNames is the set of the names of the networks flags selects.
func networkNames(api libvirtAPI, flags libvirt.ConnectListAllNetworksFlags) (map[string]bool, error) {
	nets, _, err := api.ConnectListAllNetworks(1, flags)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(nets))
	for _, n := range nets {
		set[n.Name] = true
	}
	return set, nil
}

// down lists the autostart networks that are not active.
func (f netFacts) down() []string {
	var out []string
	for _, n := range f.nets {
		if n.autostart && !n.active {
			out = append(out, n.name)
		}
	}
	return out
}

// detail is the "networks:" line of the vms check.
func (f netFacts) detail() string {
	if f.err != nil {
		return "networks: unavailable (" + reason(f.err) + ")"
	}
	if len(f.nets) == 0 {
		return "networks: none"
	}
	parts := make([]string, len(f.nets))
	for i, n := range f.nets {
		w := "inactive"
		if n.active {
			w = "active"
		}
		if n.autostart {
			w += ", autostart"
		}
		parts[i] = n.name + " (" + w + ")"
	}
	line := "networks: " + strings.Join(parts, ", ")
	if f.capped {
		line += fmt.Sprintf(" (only the first %d checked)", maxNetworks)
	}
	return line
}

// withNetworks adds the network facts to a vms result: an autostart
// network that is inactive is WARN; unreadable networks only add a detail,
// unless the daemon sent a malformed reply (UNKNOWN).
// A vms result that already failed is returned as it is.
func withNetworks(r Result, f netFacts) Result {
	if r.Err != "" && r.Status == UNKNOWN {
		return r
	}
	if errors.Is(f.err, errMalformedReply) {
		// The session is cut: what the VM list said may be stale already.
		r.Status = r.Status.Worse(UNKNOWN)
		r.Summary = remote.CleanLine(r.Summary + "; networks: " + reason(f.err))
	}
	if down := f.down(); len(down) > 0 {
		r.Status = r.Status.Worse(WARN)
		word := "networks"
		if len(down) == 1 {
			word = "network"
		}
		r.Summary = remote.CleanLine(fmt.Sprintf("%s; %d autostart %s down (%s)", r.Summary, len(down), word,
			strings.Join(down, ", ")))
	}
	r.Details = remote.Clean(strings.TrimLeft(r.Details+"\n"+f.detail(), "\n"))
	return r
}
