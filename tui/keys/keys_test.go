package keys

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestResolve(t *testing.T) {
	m := Default()
	tests := []struct {
		name     string
		key      tea.KeyPressMsg
		readOnly bool
		war      bool
		want     Action
	}{
		{"j", tea.KeyPressMsg{Code: 'j', Text: "j"}, false, false, Down},
		{"arrow", tea.KeyPressMsg{Code: tea.KeyUp}, false, false, Up},
		{"ctrl+c", tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}, false, false, Quit},
		{"x restarts", tea.KeyPressMsg{Code: 'x', Text: "x"}, false, false, Restart},
		{"x refused read-only", tea.KeyPressMsg{Code: 'x', Text: "x"}, true, false, None},
		{"x refused in war room", tea.KeyPressMsg{Code: 'x', Text: "x"}, false, true, None},
		{"space marks", tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}, false, false, Mark},
		{"space marks read-only", tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}, true, false, Mark},
		{"ctrl+a marks all", tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl}, false, false, MarkAll},
		{"journal read-only allowed", tea.KeyPressMsg{Code: 'l', Text: "l"}, true, false, Journal},
		{"backups read-only allowed", tea.KeyPressMsg{Code: 'b', Text: "b"}, true, false, Backups},
		{"refresh in war room refused", tea.KeyPressMsg{Code: 'r', Text: "r"}, false, true, None},
		{"filter in war room refused", tea.KeyPressMsg{Code: '/', Text: "/"}, false, true, None},
		{"w in war room", tea.KeyPressMsg{Code: 'w', Text: "w"}, false, true, WarRoom},
		{"refresh read-only allowed", tea.KeyPressMsg{Code: 'r', Text: "r"}, true, false, Refresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Resolve(tt.key, tt.readOnly, tt.war); got != tt.want {
				t.Fatalf("Resolve = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestActionBindings(t *testing.T) {
	_, groups := Default().Groups()
	mutating := map[Action]bool{}
	for _, b := range groups[GroupActions] {
		if b.Short == "" || !b.Key.Enabled() {
			t.Fatalf("%v: host actions need a short name and a key", b.Key.Help())
		}
		mutating[b.Action] = b.Mutating
	}
	want := map[Action]bool{Restart: true, Mark: false, MarkAll: false, Backups: false, Journal: false, Drill: true,
		Ack: false, Unack: false, Shell: false, CopyAddress: false, VMs: true}
	if len(mutating) != len(want) {
		t.Fatalf("host actions %v, want %v", mutating, want)
	}
	for a, w := range want {
		if mutating[a] != w {
			t.Errorf("action %v mutating = %v, want %v", a, mutating[a], w)
		}
	}
	for _, it := range Default().Footer(false, true) {
		if it.Key == "/" || it.Key == "r/R" || it.Key == "x" {
			t.Fatalf("war-room footer offers %q", it.Key)
		}
	}
	for _, it := range Default().Footer(true, false) {
		if it.Key == "x" {
			t.Fatal("read-only footer offers x")
		}
	}
}

func TestDisableAndFind(t *testing.T) {
	base := Default()
	m := base.Disable(Restart, Journal)
	x := tea.KeyPressMsg{Code: 'x', Text: "x"}
	if got := m.Resolve(x, false, false); got != None {
		t.Fatalf("disabled x resolves to %v", got)
	}
	if got := base.Resolve(x, false, false); got != Restart {
		t.Fatal("Disable changed the map it was called on")
	}
	b, ok := m.Find(x)
	if !ok || b.Action != Restart || b.Short != "restart" {
		t.Fatalf("Find(x) = %+v, %v", b, ok)
	}
	for _, it := range m.Footer(false, false) {
		if it.Key == "x" || it.Key == "l" {
			t.Fatalf("footer offers disabled %q", it.Key)
		}
	}
	if _, ok := m.Find(tea.KeyPressMsg{Code: 'z', Text: "z"}); ok {
		t.Fatal("Find matched an unbound key")
	}
}

func TestScroll(t *testing.T) {
	tests := []struct {
		name                 string
		a                    Action
		offset, page, bottom int
		want                 int
	}{
		{"down", Down, 3, 5, 10, 4},
		{"up at top stays", Up, 0, 5, 10, 0},
		{"down at bottom stays", Down, 10, 5, 10, 10},
		{"page down clamps", PageDown, 8, 5, 10, 10},
		{"page up clamps", PageUp, 2, 5, 10, 0},
		{"top", Top, 7, 5, 10, 0},
		{"bottom", Bottom, 0, 5, 10, 10},
		{"negative bottom is empty content", Bottom, 3, 5, -4, 0},
		{"other action keeps offset", Help, 6, 5, 10, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Scroll(tc.a, tc.offset, tc.page, tc.bottom); got != tc.want {
				t.Fatalf("Scroll = %d, want %d", got, tc.want)
			}
		})
	}
}
