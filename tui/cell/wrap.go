package cell

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Wrap breaks a line wider than width at spaces (a word longer than a line
// is broken too), continuing under the text: the continuation lines are
// indented by the line's own leading spaces plus two, at most half the
// width. A long line is read whole, never cut at the edge. Styles survive
// the breaks; a line that fits, or a width under 10, comes back as it is.
func Wrap(l string, width int) []string {
	lead := len(ansi.Strip(l)) - len(strings.TrimLeft(ansi.Strip(l), " "))
	return WrapIndent(l, width, lead+2)
}

// WrapIndent is Wrap with the continuation indent given (at most half the
// width), for text whose continuation aligns with a column. Each pass
// takes at least one cell, so the loop ends.
func WrapIndent(l string, width, indent int) []string {
	if width < 10 || Width(l) <= width {
		return []string{l}
	}
	pad := Spaces(min(indent, width/2))
	var out []string
	for room := width; ; room = width - len(pad) {
		if ansi.StringWidth(l) <= room {
			out = append(out, l)
			break
		}
		first, _, _ := strings.Cut(ansi.Wrap(l, room, " "), "\n")
		if ansi.StringWidth(first) > room {
			// ansi.Wrap keeps a word that follows a leading space whole
			first, _, _ = strings.Cut(ansi.Hardwrap(l, room, true), "\n")
		}
		out = append(out, first)
		if rest, ok := strings.CutPrefix(l, first); ok && first != "" {
			// cut by bytes where the line is a plain prefix: the width
			// rules of Wrap and TruncateLeft differ on some marks (a
			// spacing mark after a digit: fuzz crasher kept)
			l = rest
		} else {
			l = ansi.TruncateLeft(l, max(ansi.StringWidth(first), 1), "")
		}
		for leadingSpace(l) {
			l = ansi.TruncateLeft(l, 1, "")
		}
		if ansi.Strip(l) == "" {
			break
		}
	}
	for i := 1; i < len(out); i++ {
		out[i] = pad + out[i]
	}
	return out
}

// leadingSpace reports text that starts with a plain space (not one that
// carries a combining mark: that is a character of its own).
func leadingSpace(l string) bool {
	rest, ok := strings.CutPrefix(ansi.Strip(l), " ")
	if !ok {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsMark(r)
}
