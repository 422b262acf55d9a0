package remote

// The one rule for which characters of remote text never reach the screen,
// shared by the probes' cleaning of everything a host prints (Clean) and
// the console's cleaning again as it draws (tui/cell).

import (
	"unicode"
	"unicode/utf8"
)

// Drop reports whether r must be removed from remote text before it is
// shown or stored: a character a terminal may act on, or one that shows
// nothing and so lets two different names look alike. That is
//
//   - the C0 and C1 controls and DEL (callers keep or translate '\n' and
//     '\t' before asking);
//   - every format character, Unicode category Cf: the bidi marks,
//     overrides and isolates ("Trojan Source"), zero-width space and
//     (non-)joiners U+200B-U+200D, word joiner U+2060, the byte order mark
//     U+FEFF, soft hyphen U+00AD, tag characters U+E0000-U+E007F, and the
//     rest of the category;
//   - the line and paragraph separators U+2028 and U+2029 (categories Zl
//     and Zp), which break a line where no newline shows;
//   - anything that is not a valid rune.
func Drop(r rune) bool {
	switch {
	case !utf8.ValidRune(r):
		return true
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r < 0xad: // printable ASCII and Latin-1: the fast path
		return false
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}
