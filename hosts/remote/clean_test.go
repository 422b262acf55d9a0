package remote

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want, wantLine string
	}{
		{"plain", "libvirtd active", "libvirtd active", "libvirtd active"},
		{"newline and tab kept", "a\n\tb", "a\n\tb", "a b"},
		{"csi colour", "\x1b[31mred\x1b[0m", "red", "red"},
		{"csi clear screen", "x\x1b[2Jy", "xy", "xy"},
		{"osc title bel", "\x1b]0;pwned\x07ok", "ok", "ok"},
		{"osc st", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link", "link"},
		{"dcs", "\x1bPq#0;2;0;0;0\x1b\\after", "after", "after"},
		{"two byte esc", "a\x1bcb", "ab", "ab"},
		{"c1 csi", "a\u009b31mb", "ab", "ab"},
		{"c1 controls", "a\u0085\u0090x\u009cb", "ab", "ab"},
		{"nul del bel cr", "a\x00b\x7fc\x07d\re", "abcde", "abcde"},
		{"bidi", "abc\u202edcba\u2066x\u2069", "abcdcbax", "abcdcbax"},
		{"invalid utf8", "a\xffb", "a\ufffdb", "a\ufffdb"},
		{"unterminated csi", "ok\x1b[12;", "ok", "ok"},
		{"unterminated osc", "ok\x1b]0;title", "ok", "ok"},
		{"lone esc", "ok\x1b", "ok", "ok"},
		{"line collapses space", "  a \n\n b  ", "  a \n\n b  ", "a b"},
		{"unicode kept", "ünïcødé ✓", "ünïcødé ✓", "ünïcødé ✓"},
		{"zero width and joiners", "we\u200bb\u200c-\u200d1", "web-1", "web-1"},
		{"word joiner, bom, soft hyphen", "\ufeffdb\u2060-\u00ad1", "db-1", "db-1"},
		{"line and paragraph separators", "a\u2028b\u2029c", "abc", "abc"},
		{"tag characters", "vm\U000e0041\U000e007f", "vm", "vm"},
		{"other format characters", "a\u180eb\u061cc\U0001d173d", "abcd", "abcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := CleanLine(tt.in); got != tt.wantLine {
				t.Errorf("CleanLine(%q) = %q, want %q", tt.in, got, tt.wantLine)
			}
		})
	}
}

func TestCleanCaps(t *testing.T) {
	long := strings.Repeat("é", MaxDetails*2)
	if got := utf8.RuneCountInString(Clean(long)); got != MaxDetails {
		t.Errorf("Clean cap: %d runes, want %d", got, MaxDetails)
	}
	line := CleanLine(long)
	if utf8.RuneCountInString(line) != MaxSummary || !strings.HasSuffix(line, "…") {
		t.Errorf("CleanLine cap: %d runes, suffix %q", utf8.RuneCountInString(line), line[len(line)-3:])
	}
	exact := strings.Repeat("x", MaxSummary)
	if got := CleanLine(exact); got != exact {
		t.Errorf("a summary of exactly MaxSummary runes was changed")
	}
}

// checkClean asserts what Clean and CleanLine promise for any input.
func checkClean(t *testing.T, in string) {
	c, l := Clean(in), CleanLine(in)
	for _, out := range []string{c, l} {
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q: %q", in, out)
		}
		for _, r := range out {
			if dropRune(r) || r == 0x1b {
				t.Fatalf("control %U left in %q (from %q)", r, out, in)
			}
		}
	}
	if strings.ContainsAny(l, "\n\t") || utf8.RuneCountInString(l) > MaxSummary {
		t.Fatalf("CleanLine(%q) = %q: not one capped line", in, l)
	}
	if utf8.RuneCountInString(c) > MaxDetails {
		t.Fatalf("Clean(%q) longer than MaxDetails", in)
	}
	if Clean(c) != c || CleanLine(l) != l {
		t.Fatalf("not idempotent on %q: %q / %q", in, c, l)
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31mred", "\x1b]0;t\x07", "\u009b1m", "a\xffb", "\x1b\x1b[m",
		"\x1b\x00[31m", "\u202e", strings.Repeat("x\n", 300), "\x1bP\x1b\\", "\x1b]\u009c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkClean(t, s) })
}
