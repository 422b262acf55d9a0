package remote

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Length caps for text stored in a Result. Remote hosts choose what they
// print; the caps keep one host from flooding the console or a JSON report.
const (
	// MaxSummary is the longest Summary, in runes.
	MaxSummary = 200
	// MaxDetails is the longest Details or error text, in runes.
	MaxDetails = 4000
)

// Caps for a log shown in the journal view, kept from its end.
const (
	// MaxLogLines is the most lines CleanLog keeps.
	MaxLogLines = 2000
	// MaxLogLineRunes is the longest line CleanLog keeps, in runes.
	MaxLogLineRunes = 1000
	// MaxLogRunes is the most runes CleanLog keeps in all.
	MaxLogRunes = 200_000
)

// CleanLog cleans a log printed oldest line first (journalctl,
// Get-WinEvent) for the journal view: each line on its own as Clean does
// (an escape sequence never spans lines), capped at MaxLogLineRunes; and
// where the whole is over MaxLogLines or MaxLogRunes, the newest lines are
// kept and a first line says how many earlier ones were cut.
func CleanLog(s string) string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	kept := make([]string, 0, min(len(lines), MaxLogLines))
	total := 0
	for i := len(lines) - 1; i >= 0 && len(kept) < MaxLogLines; i-- {
		l := clean(lines[i], false, MaxLogLineRunes)
		if total += utf8.RuneCountInString(l) + 1; total > MaxLogRunes {
			break
		}
		kept = append(kept, l)
	}
	slices.Reverse(kept)
	out := strings.Join(kept, "\n") + "\n"
	if cut := len(lines) - len(kept); cut > 0 {
		out = fmt.Sprintf("[%d earlier lines cut]\n", cut) + out
	}
	return out
}

// Clean makes remote text safe to render and store: it drops ANSI escape
// sequences (CSI, OSC, DCS and two-byte ESC forms, 7- and 8-bit), every
// other C0/C1 control character except '\n' and '\t', DEL, and the
// characters that show nothing or make text read differently from what it
// is: Unicode format characters (bidi controls, zero-width characters,
// BOM, soft hyphen, tag characters, ...) and the line and paragraph
// separators (Drop).
// Invalid UTF-8 becomes U+FFFD. The result is capped at MaxDetails runes.
func Clean(s string) string { return clean(s, false, MaxDetails) }

// CleanLine is Clean for one-line fields such as Summary: newlines and tabs
// become single spaces, surrounding space is trimmed, and the result is
// capped at MaxSummary runes.
func CleanLine(s string) string { return clean(s, true, MaxSummary) }

func clean(s string, oneLine bool, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), max*2))
	n, lastSpace := 0, false
	for i := 0; i < len(s) && n <= max; {
		r, size := utf8.DecodeRuneInString(s[i:])
		if skip := escapeLen(s[i:], r, size); skip > 0 {
			i += skip
			continue
		}
		i += size
		if oneLine && (r == '\n' || r == '\t') {
			r = ' '
		}
		if dropRune(r) || (oneLine && r == ' ' && (lastSpace || n == 0)) {
			continue
		}
		lastSpace = r == ' '
		b.WriteRune(r)
		n++
	}
	out := b.String()
	if n > max {
		out = truncateRunes(out, max-1) + "…"
	}
	if oneLine {
		out = strings.TrimRight(out, " ")
	}
	return out
}

// dropRune reports whether r is a control, bidi or invisible character to
// remove (Drop, the rule the console applies too).
func dropRune(r rune) bool {
	return r != '\n' && r != '\t' && Drop(r)
}

// escapeLen returns how many bytes of s an escape sequence starting with r
// takes (0 when s does not start with one). An unterminated sequence runs
// to the end of s, so a half sequence never leaks out.
func escapeLen(s string, r rune, size int) int {
	switch r {
	case 0x1b:
		if len(s) < 2 {
			return 1
		}
		switch s[1] {
		case '[':
			return 2 + csiLen(s[2:])
		case ']', 'P', '_', '^', 'X':
			return 2 + stringSeqLen(s[2:])
		}
		if s[1] >= 0x20 && s[1] < 0x7f {
			return 2
		}
		return 1
	case 0x9b:
		return size + csiLen(s[size:])
	case 0x9d, 0x90, 0x9f, 0x9e, 0x98:
		return size + stringSeqLen(s[size:])
	}
	return 0
}

// csiLen is the length of a CSI body: parameter and intermediate bytes
// (0x20-0x3f) then one final byte (0x40-0x7e).
func csiLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x40 && c <= 0x7e {
			return i + 1
		}
		if c < 0x20 || c > 0x3f {
			return i // malformed: drop the introducer, keep the rest
		}
	}
	return len(s)
}

// stringSeqLen is the length of an OSC/DCS/APC/PM/SOS body, ended by BEL,
// ESC \ or the 8-bit ST (U+009C).
func stringSeqLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
	}
	return len(s)
}

// truncateRunes returns the first n runes of s.
func truncateRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// CleanSummary is CleanLine without its short cap: a summary is our own
// sentence around remote pieces each already capped, and machine output
// (check --json) must carry it whole. The MaxDetails cap still bounds what
// a hostile host can make us hold.
func CleanSummary(s string) string { return clean(s, true, MaxDetails) }
