// Package theme holds the console's styles and glyphs as data: one Theme
// for colour terminals, one without colour (NO_COLOR, --no-color), and a
// glyph set with an ASCII fallback for terminals and fonts that would show
// boxes. A status is always drawn as a symbol and a word, never colour alone.
package theme

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/hvconsole/hvconsole/probes"
)

// Glyphs are the characters the console draws with; ASCII swaps every one
// for plain 7-bit text so nothing renders as a box.
type Glyphs struct {
	// Status symbols, shown before the status word.
	OK, Warn, Crit, Unknown, Pending string
	// Bracket wraps the word instead of a symbol ("[CRIT]") in ASCII mode.
	Bracket bool
	// Rule draws horizontal separators; FocusRule draws the title rule of
	// the pane keys go to, so focus shows without colour or bold.
	Rule, FocusRule string
	// Cursor marks the selected row; Mark a row marked for a bulk action.
	Cursor, Mark string
	// Spark are the sparkline levels from low to high; SparkMissing marks
	// a round where the host did not answer.
	Spark        []string
	SparkMissing string
	// Ellipsis ends truncated text.
	Ellipsis string
	// Arrow separates old and new status in the event log.
	Arrow string
	// Dot separates header fields.
	Dot string
	// Frame draws dialog borders: top-left, top-right, bottom-left,
	// bottom-right corners, then the vertical side.
	Frame [5]string
	// Gauge are the fill levels of one gauge cell from least to full (UTF-8
	// has eighths, ASCII only "#"); GaugeEmpty is an unfilled cell, and
	// GaugeOpen and GaugeClose enclose the bar ("[###...]") in ASCII, where
	// "." alone would not read as a track.
	Gauge                             []string
	GaugeEmpty, GaugeOpen, GaugeClose string
}

// UTF8 is the default glyph set. Symbols are chosen from narrow, non-emoji
// code points that common terminal fonts carry.
var UTF8 = Glyphs{
	OK: "✓", Warn: "!", Crit: "✗", Unknown: "?", Pending: "-",
	Rule: "─", FocusRule: "═", Cursor: "›", Mark: "●", Spark: []string{"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"},
	SparkMissing: "×", Ellipsis: "…", Arrow: "→", Dot: "·",
	Frame: [5]string{"┌", "┐", "└", "┘", "│"},
	Gauge: []string{"▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"}, GaugeEmpty: "░",
}

// ASCII is the fallback for --ascii and non-UTF-8 locales.
var ASCII = Glyphs{
	OK: "OK", Warn: "WARN", Crit: "CRIT", Unknown: "UNKNOWN", Pending: "PENDING",
	Bracket: true, Rule: "-", FocusRule: "=", Cursor: ">", Mark: "*", Spark: []string{"_", ".", "-", "~", "=", "+", "*", "#"},
	SparkMissing: "x", Ellipsis: "~", Arrow: "->", Dot: "|",
	Frame: [5]string{"+", "+", "+", "+", "|"},
	Gauge: []string{"#"}, GaugeEmpty: ".", GaugeOpen: "[", GaugeClose: "]",
}

// Paint is a lipgloss style reduced to the escape sequences around one
// line of text. Lip Gloss renders a simple style as prefix+text+reset, so
// capturing both once lets every frame style text with two string
// concatenations instead of a full Render (the console draws hundreds of
// styled cells per frame). Only for single-line text.
type Paint struct{ pre, post string }

// NewPaint captures a style's escape sequences.
func NewPaint(st lipgloss.Style) Paint {
	const probe = "⁣" // invisible separator: never styled differently
	out := st.Render(probe)
	i := strings.Index(out, probe)
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: out[:i], post: out[i+len(probe):]}
}

// Render styles one line of text.
func (p Paint) Render(s string) string {
	if p.pre == "" && p.post == "" {
		return s
	}
	return p.pre + s + p.post
}

// Theme is every style the console uses, declared once. Widgets take it by
// value; it holds no state.
type Theme struct {
	Glyphs Glyphs
	// Status styles per status, plus Pending for hosts not yet probed.
	OK, Warn, Crit, Unknown, Pending Paint
	// Band is the reversed, high-contrast status band of war-room tiles.
	BandOK, BandWarn, BandCrit, BandUnknown, BandPending Paint
	Title, Dim, Selected, Banner, Badge, Highlight, Key  Paint
	// NoColor is set when the theme carries no colour at all.
	NoColor bool
}

// New returns the theme for the terminal: noColor drops every colour (bold
// and reverse stay, as NO_COLOR allows); ascii selects the ASCII glyphs.
// Colours are the terminal's own 16-colour palette so user themes apply.
func New(noColor, ascii bool) Theme {
	g := UTF8
	if ascii {
		g = ASCII
	}
	st := newStyles(noColor)
	return Theme{
		Glyphs: g, NoColor: noColor,
		OK: NewPaint(st.ok), Warn: NewPaint(st.warn), Crit: NewPaint(st.crit), Unknown: NewPaint(st.unknown),
		Pending: NewPaint(st.pending), BandOK: NewPaint(st.bandOK), BandWarn: NewPaint(st.bandWarn),
		BandCrit: NewPaint(st.bandCrit), BandUnknown: NewPaint(st.bandUnknown), BandPending: NewPaint(st.bandPending),
		Title: NewPaint(st.title), Dim: NewPaint(st.dim), Selected: NewPaint(st.selected), Banner: NewPaint(st.banner),
		Badge: NewPaint(st.badge), Highlight: NewPaint(st.highlight), Key: NewPaint(st.key),
	}
}

// styles is the theme as Lip Gloss declares it, before reduction to Paint.
type styles struct {
	ok, warn, crit, unknown, pending                     lipgloss.Style
	bandOK, bandWarn, bandCrit, bandUnknown, bandPending lipgloss.Style
	title, dim, selected, banner, badge, highlight, key  lipgloss.Style
}

func newStyles(noColor bool) styles {
	base := lipgloss.NewStyle()
	bold := base.Bold(true)
	band := bold.Reverse(true)
	s := styles{
		ok: base, warn: bold, crit: bold, unknown: bold, pending: base,
		bandOK: bold, bandWarn: band, bandCrit: band, bandUnknown: band, bandPending: base,
		title: bold, dim: base, selected: base.Reverse(true), banner: band, badge: band,
		highlight: bold, key: bold,
	}
	if noColor {
		return s
	}
	red, green, yellow, magenta, grey := lipgloss.Color("1"), lipgloss.Color("2"),
		lipgloss.Color("3"), lipgloss.Color("5"), lipgloss.Color("8")
	black, white := lipgloss.Color("0"), lipgloss.Color("15")
	s.ok = s.ok.Foreground(green)
	s.warn = s.warn.Foreground(yellow)
	s.crit = s.crit.Foreground(red)
	s.unknown = s.unknown.Foreground(magenta)
	s.pending = s.pending.Foreground(grey)
	s.dim = s.dim.Foreground(grey)
	s.banner = bold.Foreground(white).Background(red)
	s.highlight = s.highlight.Foreground(red)
	s.key = s.key.Foreground(lipgloss.Color("6"))
	s.bandOK = bold.Foreground(black).Background(green)
	s.bandWarn = bold.Foreground(black).Background(yellow)
	s.bandCrit = bold.Foreground(white).Background(red)
	s.bandUnknown = bold.Foreground(black).Background(magenta)
	s.bandPending = base.Foreground(grey)
	return s
}

// StatusLabel is the status as symbol and word ("✗ CRIT", or "[CRIT]" in
// ASCII); pending is a host that has not reported yet.
func (t Theme) StatusLabel(s probes.Status, pending bool) string {
	sym, word := t.Glyphs.Pending, "PENDING"
	if !pending {
		word = s.String()
		switch s {
		case probes.OK:
			sym = t.Glyphs.OK
		case probes.WARN:
			sym = t.Glyphs.Warn
		case probes.CRIT:
			sym = t.Glyphs.Crit
		default:
			sym = t.Glyphs.Unknown
		}
	}
	if t.Glyphs.Bracket {
		return "[" + word + "]"
	}
	return sym + " " + word
}

// Status returns the text style for a status.
func (t Theme) Status(s probes.Status, pending bool) Paint {
	if pending {
		return t.Pending
	}
	switch s {
	case probes.OK:
		return t.OK
	case probes.WARN:
		return t.Warn
	case probes.CRIT:
		return t.Crit
	}
	return t.Unknown
}

// Band returns the war-room band style for a status.
func (t Theme) Band(s probes.Status, pending bool) Paint {
	if pending {
		return t.BandPending
	}
	switch s {
	case probes.OK:
		return t.BandOK
	case probes.WARN:
		return t.BandWarn
	case probes.CRIT:
		return t.BandCrit
	}
	return t.BandUnknown
}

// Rule returns a horizontal separator n cells wide.
func (t Theme) Rule(n int) string { return repeat(t.Glyphs.Rule, n) }

// TitleRule is the rule of a pane title: the focus rule when focused.
func (t Theme) TitleRule(n int, focused bool) string {
	if focused {
		return repeat(t.Glyphs.FocusRule, n)
	}
	return t.Rule(n)
}

// TitleLead is the rule glyph a pane title starts with.
func (t Theme) TitleLead(focused bool) string {
	if focused {
		return t.Glyphs.FocusRule
	}
	return t.Glyphs.Rule
}

func repeat(g string, n int) string {
	if n <= 0 {
		return ""
	}
	out := make([]byte, 0, n*len(g))
	for i := 0; i < n; i++ {
		out = append(out, g...)
	}
	return string(out)
}

// More points up or down at lines a scrolled view hides ("^"/"v" in ASCII).
func (t Theme) More(up bool) string {
	switch {
	case t.Glyphs.Bracket && up:
		return "^"
	case t.Glyphs.Bracket:
		return "v"
	case up:
		return "↑"
	}
	return "↓"
}
