package cell

import (
	"strings"
	"unicode/utf8"
)

// asciiFor spells the few non-ASCII characters our own text and remote
// text commonly carry; anything else outside 7-bit becomes "?".
var asciiFor = map[rune]string{
	'µ': "u", 'μ': "u", '·': "|", '…': "~", '→': "->", '←': "<-", '✓': "OK", '✗': "X",
	'×': "x", '›': ">", '●': "*", '—': "-", '–': "-", '─': "-", '│': "|", '“': "\"", '”': "\"",
	'‘': "'", '’': "'", '°': "deg",
}

// ASCII returns s with every character outside 7-bit ASCII replaced, for
// terminals and fonts that would show boxes (--ascii, a non-UTF-8 locale,
// TERM=linux). Escape sequences are ASCII already and pass unchanged. A
// string that is ASCII already is returned as is, without allocating.
func ASCII(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch rep, ok := asciiFor[r]; {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case ok:
			b.WriteString(rep)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
