package tui

import (
	"context"
	"slices"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/tui/confirm"
	"github.com/hvconsole/hvconsole/tui/eventlog"
	"github.com/hvconsole/hvconsole/tui/picker"
)

// VMActor is implemented by an Actions that acts on VMs (the v key);
// *actions.Runner does. An Actions without it makes v say so.
type VMActor interface {
	VM(ctx context.Context, h hosts.Host, op string, names []string) []actions.VMResult
}

var _ VMActor = (*actions.Runner)(nil)

// vmChoice is one line of the VM picker: an operation on some VMs.
type vmChoice struct {
	op    string
	vms   []string
	label string
}

// vmVerbs are the operations as the console words them.
var vmVerbs = map[string]string{remote.VMStart: "start", remote.VMResume: "resume", remote.VMDestroy: "force off"}

// vmDoneMsg carries the results of VM operations started by the console.
type vmDoneMsg struct {
	host    string
	op      string
	results []actions.VMResult
}

// vmChoices lists what the operator may do with h's VMs, the VMs that are
// a problem first (worst status first, then the list's order): start a
// shut-off VM, resume a paused one, force one off (each only when
// vm_actions allows it), and first of all, when two or more autostart VMs
// are down, starting all of them as one action.
func vmChoices(h hosts.Host, vms []probes.VM) []vmChoice {
	vms = slices.Clone(vms)
	slices.SortStableFunc(vms, func(a, b probes.VM) int { return b.Status.Severity() - a.Status.Severity() })
	var out []vmChoice
	var down []string
	for _, v := range vms {
		if v.Autostart && v.State == "shutoff" {
			down = append(down, v.Name)
		}
	}
	if len(down) >= 2 && h.VMAllowed(remote.VMStart) {
		out = append(out, vmChoice{op: remote.VMStart, vms: down,
			label: "start every autostart VM that is down (" + strconv.Itoa(len(down)) + "): " + strings.Join(down, ", ")})
	}
	for _, v := range vms {
		if !remote.ValidVMName(v.Name) {
			continue // hvconsole passes no such name to a host
		}
		state := vmState(v)
		add := func(op string) {
			if h.VMAllowed(op) {
				out = append(out, vmChoice{op: op, vms: []string{v.Name}, label: vmVerbs[op] + " " + v.Name + " (" + state + ")"})
			}
		}
		switch v.State {
		case "shutoff":
			add(remote.VMStart)
			continue
		case "paused", "pmsuspended":
			add(remote.VMResume)
		}
		add(remote.VMDestroy)
	}
	return out
}

func vmState(v probes.VM) string {
	if v.Reason != "" && v.Reason != "unknown" {
		return v.State + ", " + v.Reason
	}
	return v.State
}

// openVMs starts the VM flow on the selected host: the picker of what may
// be done with its VMs, then the confirmation.
func (m Model) openVMs() (Model, tea.Cmd) {
	h := m.current()
	switch {
	case h == nil:
		m.note = "VM actions: no host selected"
		return m, nil
	case m.table.Busy(h.Name):
		m.note = "VM actions unavailable: an action is still running on " + h.Name
		return m, nil
	case !h.Reported || h.VMsStale():
		m.note = "VM actions unavailable: the VM list of " + h.Name + " is not current"
		return m, nil
	}
	if _, ok := m.opts.Actions.(VMActor); !ok {
		m.note = "VM actions not available"
		return m, nil
	}
	hs, why := m.inventory([]string{h.Name})
	if why != "" {
		m.note = "VM actions unavailable: " + why
		return m, nil
	}
	choices := vmChoices(hs[0], h.Report.VMs)
	if len(choices) == 0 {
		m.note = "no VM action applies on " + h.Name + " (vm_actions: " + strings.Join(hs[0].VMActions, ", ") + ")"
		return m, nil
	}
	labels := make([]string, len(choices))
	for i, c := range choices {
		labels[i] = c.label
	}
	m.flow = flow{hosts: hs, vmChoices: choices}
	m.picker = picker.New(m.th, m.keys, "Which VM action?", "on "+h.Name+" (vm_actions: "+strings.Join(hs[0].VMActions, ", ")+")", labels, 0)
	m.overlay = overlayVMPick
	m.layout()
	return m, nil
}

// openVMConfirm shows each VM's exact operation. A force-off asks for the
// VM's name to be typed: the stronger confirmation.
func (m Model) openVMConfirm(c vmChoice) (Model, tea.Cmd) {
	h := m.flow.hosts[0]
	targets := make([]confirm.Target, 0, len(c.vms))
	for _, vm := range c.vms {
		cmd, err := probes.VMCommand(h, c.op, vm)
		if err != nil {
			m.closeOverlay()
			m.note = "VM action unavailable: " + probes.Words(err)
			return m, nil
		}
		targets = append(targets, confirm.Target{Host: h.Name, Command: cmd})
	}
	verb := strings.ToUpper(vmVerbs[c.op][:1]) + vmVerbs[c.op][1:]
	count := c.vms[0]
	if len(c.vms) > 1 {
		count = strconv.Itoa(len(c.vms)) + " VMs"
	}
	labels := confirm.Labels{Title: verb + " " + count + " on " + h.Name, Subject: "VM", Noun: "VM"}
	if c.op == remote.VMDestroy {
		labels.Word = c.vms[0]
	}
	m.flow.vm = &c
	m.confirm = confirm.New(m.th, verb, strings.Join(c.vms, ", "), targets).WithLabels(labels)
	m.overlay = overlayConfirm
	m.layout()
	return m, nil
}

// afterVMConfirm runs or cancels the operation once the dialog is
// decided; both go through the action layer, which audits either way.
func (m Model) afterVMConfirm() (Model, tea.Cmd) {
	f := m.flow
	c := *f.vm
	switch m.confirm.Outcome() {
	case confirm.Cancelled:
		m.closeOverlay()
		m.note = vmVerbs[c.op] + " cancelled"
		act := m.opts.Actions
		return m, func() tea.Msg {
			for _, vm := range c.vms {
				act.Refuse(f.hosts, actions.VMAction(c.op), []string{vm}, actions.ErrCancelled)
			}
			return nil
		}
	case confirm.Confirmed:
		m.closeOverlay()
		return m.startVMs(f.hosts[0], c)
	}
	return m, nil
}

// startVMs marks the row busy and runs the operation off the UI goroutine.
func (m Model) startVMs(h hosts.Host, c vmChoice) (Model, tea.Cmd) {
	vma, _ := m.opts.Actions.(VMActor)
	busy := vmVerbs[c.op] + m.th.Glyphs.Ellipsis
	if m.th.Glyphs.Bracket {
		busy = vmVerbs[c.op] + "..."
	}
	m.table.SetBusy([]string{h.Name}, busy)
	m.note = vmVerbs[c.op] + " " + strings.Join(c.vms, ", ") + " on " + h.Name
	ctx, op, names := m.ctx, c.op, slices.Clone(c.vms)
	return m, func() tea.Msg {
		return vmDoneMsg{host: h.Name, op: op, results: vma.VM(ctx, h, op, names)}
	}
}

// applyVMs logs each VM's outcome, ends the row's busy state and probes the
// host again so the table shows its VMs now.
func (m Model) applyVMs(msg vmDoneMsg) (tea.Model, tea.Cmd) {
	m.table.ClearBusy([]string{msg.host})
	ok := 0
	for _, r := range msg.results {
		if r.OK() {
			ok++
		}
		m.log.Append(eventlog.Event{Time: m.now(), Host: msg.host, Action: actions.VMAction(msg.op), Failed: !r.OK(),
			Summary: r.Summary()})
	}
	m.events.Added(len(msg.results))
	m.note = vmVerbs[msg.op] + " on " + msg.host + ": " + strconv.Itoa(ok) + " of " + strconv.Itoa(len(msg.results)) + " VMs " +
		map[bool]string{true: "shut off", false: "running"}[msg.op == remote.VMDestroy]
	if ok < len(msg.results) {
		m.note += " (see events)"
	}
	var cmd tea.Cmd
	if src := m.src; src != nil {
		name := msg.host
		cmd = func() tea.Msg { src.Refresh(name); return nil }
	}
	return m, tea.Batch(cmd, m.scheduleTick())
}
