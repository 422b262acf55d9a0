// Package keys is the console's keymap declared as data: every action, its
// keys, its help text, where it applies and whether it changes a host.
// Widgets and the root model resolve key presses through it, so a new
// action is one more table row, and the help overlay and footer are
// generated from the same table.
package keys

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Action is what a key press asks for.
type Action int

// Actions. The host actions at the end are in GroupActions.
const (
	None Action = iota
	Up
	Down
	Top
	Bottom
	PageUp
	PageDown
	NextPane
	Zoom
	Back
	Quit
	Help
	Filter
	Sort
	Refresh
	RefreshAll
	Pause
	WarRoom
	// Details opens the full text of the selected host's checks.
	Details
	// Expand shows (or folds again) the check transitions each event-log
	// line stands for.
	Expand
	// Host actions.
	Restart
	Mark
	MarkAll
	Backups
	Journal
	Drill
	// Shell opens an interactive ssh session to the selected host;
	// CopyAddress copies its address (OSC 52).
	Shell
	CopyAddress
	// VMs acts on the selected host's VMs: start, resume, force off.
	VMs
	// Incidents shows this session's incidents and the journal.
	Incidents
	// Ack acknowledges the problem of the marked or selected hosts; Unack
	// removes their acks. Not host actions: read-only consoles have them.
	Ack
	Unack
)

// Group orders bindings in the help overlay.
type Group string

// Help groups.
const (
	GroupNav     Group = "Navigate"
	GroupView    Group = "View"
	GroupProbe   Group = "Probing"
	GroupActions Group = "Host actions"
)

// Binding is one row of the keymap.
type Binding struct {
	Action Action
	Key    key.Binding
	Group  Group
	// Mutating actions change a host: refused in read-only mode and never
	// available in the war-room view.
	Mutating bool
	// WarRoom marks the few keys the war-room view accepts.
	WarRoom bool
	// NeedsActions marks keys served by the action layer: without one the
	// console disables them (see Disable) and help shows them as off.
	NeedsActions bool
	// Short names the action in one-line notes ("restart unavailable: ...").
	Short string
}

// Map is the ordered keymap.
type Map []Binding

func bind(a Action, g Group, help string, ks ...string) Binding {
	return Binding{Action: a, Group: g, Key: key.NewBinding(key.WithKeys(ks...), key.WithHelp(helpKeys(ks), help))}
}

func helpKeys(ks []string) string {
	out := ""
	for i, k := range ks {
		if i > 0 {
			out += "/"
		}
		out += k
	}
	return out
}

// action binds a host action. mutating ones change a host (refused in
// read-only mode); needsActions ones are served by the action layer.
func action(a Action, short, help string, mutating, needsActions bool, ks ...string) Binding {
	b := bind(a, GroupActions, help, ks...)
	b.Mutating, b.NeedsActions, b.Short = mutating, needsActions, short
	return b
}

// Disable returns a copy of the map with the given actions' keys turned
// off: they no longer resolve and leave the footer, and Find still names
// them so the console can say why.
func (m Map) Disable(acts ...Action) Map {
	out := slices.Clone(m)
	for i := range out {
		if slices.Contains(acts, out[i].Action) {
			out[i].Key.SetEnabled(false)
		}
	}
	return out
}

// Find returns the binding a key press names, enabled or not (so a refused
// or disabled key can be explained), and whether there is one.
func (m Map) Find(msg tea.KeyPressMsg) (Binding, bool) {
	s := msg.String()
	for _, b := range m {
		if slices.Contains(b.Key.Keys(), s) {
			return b, true
		}
	}
	return Binding{}, false
}

// Default returns the console's keymap.
func Default() Map {
	m := Map{
		bind(Up, GroupNav, "up", "k", "up"),
		bind(Down, GroupNav, "down", "j", "down"),
		bind(Top, GroupNav, "first", "g", "home"),
		bind(Bottom, GroupNav, "last", "G", "end"),
		bind(PageUp, GroupNav, "page up", "pgup", "ctrl+b"),
		bind(PageDown, GroupNav, "page down", "pgdown", "ctrl+f"),
		bind(NextPane, GroupView, "next pane", "tab"),
		bind(Zoom, GroupView, "zoom host", "enter"),
		bind(Back, GroupView, "back/clear", "esc"),
		bind(Filter, GroupView, "filter", "/"),
		bind(Sort, GroupView, "cycle sort (order)", "o"),
		bind(Details, GroupView, "details: full text, c copies", "d"),
		bind(Expand, GroupView, "events: expand/fold groups", "e"),
		bind(WarRoom, GroupView, "war room", "w"),
		bind(Incidents, GroupView, "incidents and journal", "i"),
		bind(Help, GroupView, "help", "?"),
		bind(Quit, GroupView, "quit", "q", "ctrl+c"),
		bind(Refresh, GroupProbe, "probe host now", "r"),
		bind(RefreshAll, GroupProbe, "probe all now", "R"),
		bind(Pause, GroupProbe, "pause/resume", "p"),
		action(Restart, "restart", "restart a service", true, true, "x"),
		action(Mark, "mark", "mark/unmark host", false, false, "space"),
		action(MarkAll, "mark all", "mark all shown", false, false, "ctrl+a"),
		action(Backups, "backups", "check backups now", false, false, "b"),
		action(Journal, "journal", "service journal", false, true, "l"),
		action(Drill, "drill", "restore drill (again: cancel)", true, true, "D"),
		action(Shell, "shell", "ssh to the host (this terminal)", false, false, "s"),
		action(CopyAddress, "copy address", "copy the address (OSC 52)", false, false, "y"),
		action(VMs, "VM actions", "VMs: start, resume, force off", true, true, "v"),
		action(Ack, "ack", "acknowledge: owner, note, expiry", false, false, "a"),
		action(Unack, "unack", "remove the ack", false, false, "A"),
	}
	for i := range m {
		switch m[i].Action {
		case Quit, Help, WarRoom, Back, PageUp, PageDown, Up, Down, Top, Bottom:
			m[i].WarRoom = true
		}
	}
	return m
}

// Resolve returns the action for a key press. Mutating actions resolve to
// None in read-only mode; in the war room only WarRoom keys resolve.
func (m Map) Resolve(msg tea.KeyPressMsg, readOnly, warRoom bool) Action {
	for _, b := range m {
		if !key.Matches(msg, b.Key) {
			continue
		}
		if (b.Mutating && (readOnly || warRoom)) || (warRoom && !b.WarRoom) {
			return None
		}
		return b.Action
	}
	return None
}

// FooterContext is what the footer's hints are about: the keys that act
// where the operator is.
type FooterContext int

// Footer contexts.
const (
	FooterFleet FooterContext = iota
	FooterHost
	FooterEvents
	FooterWarRoom
)

type footerEntry struct {
	action    Action
	key, desc string
}

// footers list each context's entries, most important first: a narrow
// terminal cuts from the end, so the host actions come before what the
// help overlay teaches once (filter, sort, pane).
var footers = [...][]footerEntry{
	FooterFleet: {{Help, "?", "help"}, {Zoom, "enter", "zoom"}, {Restart, "x", "restart"}, {Journal, "l", "journal"},
		{Backups, "b", "backups"}, {Pause, "p", "pause"}, {WarRoom, "w", "war"}, {Details, "d", "details"},
		{Refresh, "r", "probe"}, {Drill, "D", "drill"}, {Ack, "a", "ack"}, {Shell, "s", "ssh"}, {Filter, "/", "filter"}, {Mark, "space", "mark"}, {Sort, "o", "sort"},
		{VMs, "v", "vms"}, {Incidents, "i", "incidents"}, {NextPane, "tab", "pane"}, {Quit, "q", "quit"}},
	FooterHost: {{Help, "?", "help"}, {Back, "esc", "back"}, {Details, "d", "details"}, {Restart, "x", "restart"},
		{Journal, "l", "journal"}, {Backups, "b", "backups"}, {Refresh, "r", "probe"}, {Drill, "D", "drill"},
		{Ack, "a", "ack"}, {Shell, "s", "ssh"}, {Down, "j/k", "scroll"}, {VMs, "v", "vms"}, {Incidents, "i", "incidents"},
		{Pause, "p", "pause"}, {WarRoom, "w", "war"}, {NextPane, "tab", "pane"}, {Quit, "q", "quit"}},
	FooterEvents: {{Help, "?", "help"}, {Down, "j/k", "scroll"}, {Expand, "e", "expand"}, {Filter, "/", "filter"},
		{Incidents, "i", "incidents"}, {NextPane, "tab", "pane"}, {Zoom, "enter", "zoom"}, {Pause, "p", "pause"}, {WarRoom, "w", "war"}, {Quit, "q", "quit"}},
	FooterWarRoom: {{Help, "?", "help"}, {WarRoom, "w", "back"}, {PageDown, "pgup/pgdn", "page"}, {Quit, "q", "quit"}},
}

// FooterItem is one "key desc" pair of the footer.
type FooterItem struct{ Key, Desc string }

// Footer returns the fleet's (or the war room's) footer entries; see
// FooterFor.
func (m Map) Footer(readOnly, warRoom bool) []FooterItem {
	if warRoom {
		return m.FooterFor(FooterWarRoom, readOnly)
	}
	return m.FooterFor(FooterFleet, readOnly)
}

// FooterFor returns the entries of a context that are bound, enabled and
// allowed (no mutating key in read-only mode, only war-room keys there).
func (m Map) FooterFor(ctx FooterContext, readOnly bool) []FooterItem {
	war := ctx == FooterWarRoom
	var out []FooterItem
	for _, f := range footers[ctx] {
		for _, b := range m {
			if b.Action != f.action || !b.Key.Enabled() {
				continue
			}
			if (war && !b.WarRoom) || (b.Mutating && readOnly) {
				continue
			}
			out = append(out, FooterItem{Key: f.key, Desc: f.desc})
		}
	}
	return out
}

// Groups returns the bindings of each help group, in display order.
func (m Map) Groups() ([]Group, map[Group][]Binding) {
	order := []Group{GroupNav, GroupView, GroupProbe, GroupActions}
	byGroup := make(map[Group][]Binding, len(order))
	for _, b := range m {
		byGroup[b.Group] = append(byGroup[b.Group], b)
	}
	return order, byGroup
}

// Scroll applies a navigation action to a scroll offset: a line for Up and
// Down, page lines for PageUp and PageDown, 0 for Top and bottom for
// Bottom; the result is clamped to [0, bottom]. Other actions leave offset
// as it is. Every scrolling pane shares it so they all move alike.
func Scroll(a Action, offset, page, bottom int) int {
	switch a {
	case Up:
		offset--
	case Down:
		offset++
	case Top:
		offset = 0
	case Bottom:
		offset = bottom
	case PageUp:
		offset -= page
	case PageDown:
		offset += page
	}
	return min(max(offset, 0), max(bottom, 0))
}
