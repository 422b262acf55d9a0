package remote

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestDrop(t *testing.T) {
	drop := []rune{0, '\n', '\t', 0x1b, 0x7f, 0x85, 0x9b, 0x9f, 0xad, 0x061c, 0x180e, 0x200b, 0x200c,
		0x200d, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202e, 0x2060, 0x2066, 0x2069, 0xfeff,
		0xfff9, 0x1d173, 0xe0001, 0xe0041, 0xe007f}
	keep := []rune{' ', 'a', '~', 0xa0, 0xe9, 0x2500, '✓', '…', 0x4e2d, 0x1f600, 0x0301, 0xfffd, 0x3000}
	for _, r := range drop {
		if !Drop(r) {
			t.Errorf("Drop(%U) = false", r)
		}
	}
	for _, r := range keep {
		if Drop(r) {
			t.Errorf("Drop(%U) = true", r)
		}
	}
}

// Every rune of categories Cc, Cf, Zl and Zp is dropped, and every invalid
// rune, and nothing else.
func FuzzDrop(f *testing.F) {
	for _, r := range []rune{0, 'a', 0xad, 0x200b, 0x2028, 0xe0041, 0x10ffff} {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, r rune) {
		want := !utf8.ValidRune(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
		if got := Drop(r); got != want {
			t.Fatalf("Drop(%U) = %v, want %v", r, got, want)
		}
	})
}
