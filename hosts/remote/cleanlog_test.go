package remote

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanLog(t *testing.T) {
	many := func(n, width int) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%05d %s\n", i, strings.Repeat("x", width))
		}
		return b.String()
	}
	tests := []struct {
		name        string
		in          string
		first, last string
		lines       int
	}{
		{"empty", "", "", "", 0},
		{"short log kept whole", "a\nb\n", "a", "b", 2},
		{"no final newline", "a\nb", "a", "b", 2},
		{"escapes cleaned per line", "\x1b]0;title\nnext\x1b[31m red\r\n", "", "next red", 2},
		{"too many lines: the newest kept", many(MaxLogLines+5, 1), "[5 earlier lines cut]", fmt.Sprintf("%05d x", MaxLogLines+5), MaxLogLines + 1},
		{"too many runes: the newest kept", many(300, 993), "[100 earlier lines cut]", "00300 " + strings.Repeat("x", 993), 201},
		{"one long line capped", strings.Repeat("y", 3*MaxLogLineRunes) + "\nend\n", strings.Repeat("y", MaxLogLineRunes-1) + "…", "end", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := CleanLog(tt.in)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if out == "" {
				lines = nil
			}
			if len(lines) != tt.lines {
				t.Fatalf("%d lines, want %d", len(lines), tt.lines)
			}
			if tt.lines > 0 && (lines[0] != tt.first || lines[len(lines)-1] != tt.last) {
				t.Errorf("first %.40q last %.40q, want %.40q, %.40q", lines[0], lines[len(lines)-1], tt.first, tt.last)
			}
		})
	}
}

func FuzzCleanLog(f *testing.F) {
	f.Add("Nov 27 hv libvirtd: ok\n\x1b[31mred\x1b[0m\n")
	f.Add("\x1b]8;;http://x\x07link\nnext\n")
	f.Add(strings.Repeat("a\n", MaxLogLines+3))
	f.Fuzz(func(t *testing.T, in string) {
		out := CleanLog(in)
		if out != "" && !strings.HasSuffix(out, "\n") {
			t.Fatalf("no final newline: %q", out)
		}
		if !utf8.ValidString(out) || strings.ContainsFunc(out, func(r rune) bool { return r != '\n' && dropRune(r) }) {
			t.Fatalf("unclean output %q", out)
		}
		if n := strings.Count(out, "\n"); n > MaxLogLines+1 || utf8.RuneCountInString(out) > MaxLogRunes+64 {
			t.Fatalf("%d lines, %d runes", n, utf8.RuneCountInString(out))
		}
	})
}
