// Package cell formats the small pieces of text the console draws: it strips
// control characters from remote text, fits text to a column width, and
// prints ages and latencies in the short forms an operator scans quickly.
//
// It is separate from the widgets so every pane cleans and fits text the
// same way, and so the cleaning can be fuzzed on its own.
package cell

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Clean returns s as one safe line: control characters (C0, DEL, C1),
// escape sequences' introducer, bidirectional overrides, invisible format
// characters and separators (remote.Drop) and invalid UTF-8 are dropped, and tabs and line breaks become spaces. Remote text has
// already been cleaned by probes; the console cleans again because a
// terminal that executes a stray escape is worse than a wasted scan.
// Text that needs no change is returned as is, without allocating.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unsafeRune(r):
			continue
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CleanLines splits multi-line remote text (check details) into cleaned
// lines, dropping empty trailing ones. Tabs become spaces.
func CleanLines(s string) []string {
	s = strings.TrimRight(s, "\r\n\t ")
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = Clean(strings.TrimRight(p, "\r"))
	}
	return parts
}

// isClean is the fast path: plain printable ASCII needs no work at all.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// unsafeRune reports runes a terminal may act on rather than print, and
// runes that print nothing (remote.Drop, the rule the probes apply too):
// controls, bidi overrides and isolates ("Trojan Source"), zero-width and
// other format characters, line and paragraph separators.
func unsafeRune(r rune) bool { return remote.Drop(r) }

// Width is the display width of s in cells, ignoring ANSI styling. Plain
// ASCII and the narrow symbols the console itself draws are measured
// without grapheme segmentation, which dominates frame time otherwise.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			n++
			i++
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			// CSI (the SGR styling the console emits): zero width
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
			i++
		case c < 0x20 || c == 0x7f:
			return ansi.StringWidth(s)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrow(r) {
				return ansi.StringWidth(s)
			}
			n++
			i += size
		}
	}
	return n
}

// narrow reports runes known to take one cell that the console draws:
// box drawing, blocks, and the status and punctuation glyphs.
func narrow(r rune) bool {
	switch {
	case r >= 0x2500 && r <= 0x259f: // box drawing, block elements
		return true
	case r >= 0xa0 && r < 0x300: // Latin-1 and Latin Extended letters
		return r != 0xad // the soft hyphen takes no cell
	}
	switch r {
	case '✓', '✗', '×', '·', '→', '…', '›', '●', '█', '⁣':
		return true
	}
	return false
}

// Fit returns s truncated (with tail, e.g. "…") or padded with spaces to
// exactly width display cells. s may contain ANSI styling.
func Fit(s string, width int, tail string) string {
	if width <= 0 {
		return ""
	}
	w := Width(s)
	switch {
	case w == width:
		return s
	case w < width:
		return pad(s, w, width)
	}
	if Width(tail) >= width {
		tail = ""
	}
	if w == len(s) && isClean(s) {
		// plain ASCII: cut bytes, no parser needed
		tw := Width(tail)
		s = s[:width-tw] + tail
		return s
	}
	s = ansi.Truncate(s, width, tail)
	if w = Width(s); w < width {
		s = pad(s, w, width)
	}
	return s
}

// pad adds spaces to s (w cells wide) up to width cells. A prepended
// concatenation mark (U+0600-U+0605, ...) joins the space after it into
// one cell, so the width is checked once more (fuzz crasher kept).
func pad(s string, w, width int) string {
	out := s + spaces(width-w)
	if got := Width(out); got < width {
		out += spaces(width - got)
	}
	return out
}

// FitRight is Fit aligned right: numbers line up in their column.
func FitRight(s string, width int, tail string) string {
	if width <= 0 {
		return ""
	}
	w := Width(s)
	if w >= width {
		return Fit(s, width, tail)
	}
	return spaces(width-w) + s
}

const blanks = "                                                                                                                                                                                                                                                                "

// spaces returns n spaces, slicing a constant to avoid allocating.
func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// Spaces returns a run of n blanks (n < 0 gives "").
func Spaces(n int) string {
	if n <= 0 {
		return ""
	}
	return spaces(n)
}

// Age formats a duration as the coarse age an operator reads at a glance:
// "7s", "12m", "5h", "3d". Negative ages (clock skew) print as "0s".
func Age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	unit, suffix := ageUnit(d)
	return strconv.FormatInt(int64(d/unit), 10) + suffix
}

// NextAgeChange returns how long until Age(d) prints something different.
// The console uses it to wake up exactly when a displayed age would change,
// instead of redrawing on a fixed timer.
func NextAgeChange(d time.Duration) time.Duration {
	if d < 0 {
		return -d + time.Second
	}
	unit, _ := ageUnit(d)
	return unit - d%unit
}

func ageUnit(d time.Duration) (time.Duration, string) {
	switch {
	case d < time.Minute:
		return time.Second, "s"
	case d < time.Hour:
		return time.Minute, "m"
	case d < 48*time.Hour:
		return time.Hour, "h"
	}
	return 24 * time.Hour, "d"
}

// Latency formats an SSH round trip: "<1ms", "12ms", "1.2s"; zero (never
// measured or unreachable) prints as "-". It stays ASCII for --ascii.
func Latency(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return "<1ms"
	case d < 10*time.Second:
		if d < time.Second {
			return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
		}
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}
