package cell

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{"fits", "  short line", 20, []string{"  short line"}},
		{"narrow screens are left alone", "a long line of words", 9, []string{"a long line of words"}},
		{"hangs under the text", "  host key changed: fix known_hosts:2 after verifying", 24,
			[]string{"  host key changed: fix", "    known_hosts:2 after", "    verifying"}},
		{"a word longer than a line is broken", "x " + strings.Repeat("a", 25), 12,
			[]string{"x", "  aaaaaaaaaa", "  aaaaaaaaaa", "  aaaaa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Wrap(tc.in, tc.width); !slices.Equal(got, tc.want) {
				t.Errorf("Wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
			}
		})
	}
}

// Wrapping never cuts: every word comes back, in order, and no line is
// wider than the width.
func FuzzWrap(f *testing.F) {
	f.Add("  host key changed: fix known_hosts:2 after verifying", 24)
	f.Add(strings.Repeat("é", 40)+" x", 10)
	f.Fuzz(func(t *testing.T, s string, width int) {
		s = Clean(s)
		width = 10 + abs(width)%200
		got := Wrap(s, width)
		for _, l := range got {
			if Width(l) > width {
				t.Fatalf("line %q wider than %d", l, width)
			}
		}
		// combining marks are left out of the comparison: one at a break
		// may fall with it (the terminal draws it on nothing anyway)
		if letters(strings.Join(got, "")) != letters(s) {
			t.Fatalf("Wrap(%q, %d) = %q lost text", s, width, got)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || unicode.IsMark(r) {
			return -1
		}
		return r
	}, s)
}
