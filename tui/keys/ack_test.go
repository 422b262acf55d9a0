package keys

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// An ack is not a host action: a read-only console resolves a and A; the
// war room does not (it takes no keys but its own).
func TestAckResolvesReadOnly(t *testing.T) {
	m := Default()
	for key, want := range map[rune]Action{'a': Ack, 'A': Unack} {
		k := tea.KeyPressMsg{Code: key, Text: string(key)}
		if got := m.Resolve(k, true, false); got != want {
			t.Errorf("read-only %q = %v, want %v", key, got, want)
		}
		if got := m.Resolve(k, false, true); got != None {
			t.Errorf("war room %q = %v, want None", key, got)
		}
	}
}
