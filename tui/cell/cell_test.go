package cell

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\tb\nc\r", "a b c "},
		{"\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"bell\x07 nul\x00 del\x7f", "bell nul del"},
		{"c1\u009b1m", "c11m"},
		{"bidi\u202eevil\u2066x\u2069", "bidievilx"},
		{"bad\xffutf8", "badutf8"},
		{"ünïcødé ✓", "ünïcødé ✓"},
		{"we\u200bb\u200c-\u200d1\u2060\ufeff", "web-1"},
		{"a\u2028b\u2029c\u00add", "abcd"},
		{"vm\U000e0041\U000e007f", "vm"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Fatalf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "ok", "\x1b]0;x\x07", "a\nb", "\u202e", "\xff\xfe", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("unsafe rune %U left in %q", r, out)
			}
		}
		if Clean(out) != out {
			t.Fatalf("Clean not idempotent on %q", s)
		}
		for _, l := range CleanLines(s) {
			if strings.ContainsAny(l, "\n\r\x1b") {
				t.Fatalf("CleanLines left a control in %q", l)
			}
		}
	})
}

func TestFit(t *testing.T) {
	tests := []struct {
		s     string
		width int
		want  string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abc…"},
		{"abc", 3, "abc"},
		{"abc", 0, ""},
		{"✓ OK", 6, "✓ OK  "},
		{"\x1b[1mbold\x1b[m", 6, "\x1b[1mbold\x1b[m  "},
		{"ab", 1, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			got := Fit(tt.s, tt.width, "…")
			if got != tt.want {
				t.Fatalf("Fit(%q, %d) = %q, want %q", tt.s, tt.width, got, tt.want)
			}
			if Width(got) != tt.width {
				t.Fatalf("width %d, want %d", Width(got), tt.width)
			}
		})
	}
	if got := FitRight("12", 5, ""); got != "   12" {
		t.Fatalf("FitRight = %q", got)
	}
}

func FuzzFit(f *testing.F) {
	f.Add("hello", 3)
	f.Add("✓ ünï", 4)
	f.Add("\x1b[1mx\x1b[m", 2)
	f.Fuzz(func(t *testing.T, s string, w int) {
		w = w % 300
		// Cleaned remote text, and any printable text (format characters
		// such as U+00AD kept): Width must agree with how Fit cuts.
		printable := strings.Map(func(r rune) rune {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				return -1
			}
			return r
		}, s)
		for _, s := range []string{Clean(s), printable} {
			got := Fit(s, w, "…")
			if w > 0 && (Width(got) != w || ansi.StringWidth(got) != w) {
				t.Fatalf("Fit(%q, %d) is %d wide (%d by ansi)", s, w, Width(got), ansi.StringWidth(got))
			}
		}
	})
}

func TestAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
		next time.Duration
	}{
		{0, "0s", time.Second},
		{1500 * time.Millisecond, "1s", 500 * time.Millisecond},
		{59 * time.Second, "59s", time.Second},
		{90 * time.Second, "1m", 30 * time.Second},
		{3 * time.Hour, "3h", time.Hour},
		{50 * time.Hour, "2d", 22 * time.Hour},
		{-time.Second, "0s", 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			if got := Age(tt.d); got != tt.want {
				t.Fatalf("Age = %q, want %q", got, tt.want)
			}
			next := NextAgeChange(tt.d)
			if next != tt.next {
				t.Fatalf("NextAgeChange = %v, want %v", next, tt.next)
			}
			if tt.d >= 0 && (Age(tt.d+next-1) != tt.want || Age(tt.d+next) == tt.want) {
				t.Fatal("NextAgeChange is not the exact boundary")
			}
		})
	}
}

func TestLatency(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "-"}, {500 * time.Microsecond, "<1ms"}, {12 * time.Millisecond, "12ms"},
		{1500 * time.Millisecond, "1.5s"}, {15 * time.Second, "15s"},
	}
	for _, tt := range tests {
		if got := Latency(tt.d); got != tt.want {
			t.Errorf("Latency(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
