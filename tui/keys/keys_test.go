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
		{"planned x is unbound", tea.KeyPressMsg{Code: 'x', Text: "x"}, false, false, None},
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

func TestPlannedActionsAreMutatingAndListed(t *testing.T) {
	_, groups := Default().Groups()
	var planned int
	for _, b := range groups[GroupActions] {
		if !b.Planned || !b.Mutating || b.Key.Enabled() {
			t.Fatalf("%v: planned actions must be mutating and unbound", b.Key.Help())
		}
		planned++
	}
	if planned != 5 {
		t.Fatalf("%d planned actions, want 5", planned)
	}
	for _, it := range Default().Footer(false, true) {
		if it.Key == "/" || it.Key == "r/R" {
			t.Fatalf("war-room footer offers %q", it.Key)
		}
	}
}
