// Package confirm is the confirmation dialog of a mutating action: it shows
// the hosts, the service and the exact remote command (with the script a
// Hyper-V -EncodedCommand carries, decoded), puts the focus on
// Cancel, and for more than one host makes the operator type the number of
// hosts before Confirm works. A slip of the enter key can only cancel.
package confirm

import (
	"strconv"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// Outcome is where the operator left the dialog.
type Outcome int

// Outcomes.
const (
	Open Outcome = iota
	Cancelled
	Confirmed
)

// Button is the focused button.
type Button int

// Buttons, in focus order.
const (
	Cancel Button = iota
	Confirm
)

// Yes is the answer that confirms an action on one host: typed on a
// terminal, the Confirm button in the console.
const Yes = "yes"

// Answer is what confirms an action on n hosts, the one rule the console
// and the command line share: Yes for one host, the number of hosts for
// more, so that acting on a wrong selection takes typing its size.
func Answer(n int) string {
	if n > 1 {
		return strconv.Itoa(n)
	}
	return Yes
}

// Target is one host and the exact command it will run.
type Target struct {
	Host    string
	Command string
}

// Limits of the dialog.
const (
	maxWidth  = 76
	maxTyped  = 6 // digits of the count: more than a fleet will ever hold
	maxGroups = 4 // distinct commands listed (sudo on or off: two in practice)
)

// Dialog is the confirmation widget.
type Dialog struct {
	th      theme.Theme
	verb    string // "Restart"
	unit    string
	targets []Target
	typed   string
	focus   Button
	outcome Outcome
	hint    string
	width   int
	height  int
	labels  Labels
}

// Labels adapt the dialog to what it acts on; the zero value is a service
// restarted on hosts.
type Labels struct {
	// Title replaces the first line ("Restart libvirtd on 2 hosts").
	Title string
	// Subject labels the unit line and names the frame ("Service").
	Subject string
	// Noun is what the count counts ("host").
	Noun string
	// Word, when set, must be typed before Confirm works (a VM's name for
	// a force-off: the stronger confirmation), whatever the count.
	Word string
}

// WithLabels returns the dialog with its labels set.
func (d Dialog) WithLabels(l Labels) Dialog {
	d.labels = l
	return d
}

func (d Dialog) subject() string {
	if d.labels.Subject != "" {
		return d.labels.Subject
	}
	return "Service"
}

// New returns an open dialog with Cancel focused. verb names the action
// ("Restart"); unit is the service.
func New(th theme.Theme, verb, unit string, targets []Target) Dialog {
	return Dialog{th: th, verb: verb, unit: unit, targets: targets}
}

// SetSize gives the dialog the box it may use (it draws itself smaller).
func (d *Dialog) SetSize(w, h int) { d.width, d.height = max(w, 0), max(h, 0) }

// Outcome reports whether the operator confirmed, cancelled or is deciding.
func (d Dialog) Outcome() Outcome { return d.outcome }

// Focus returns the focused button.
func (d Dialog) Focus() Button { return d.focus }

// Typed is the count typed so far.
func (d Dialog) Typed() string { return d.typed }

// NeedsCount reports whether the operator must type something first: the
// host count, or the Word of the labels.
func (d Dialog) NeedsCount() bool { return Answer(len(d.targets)) != Yes || d.labels.Word != "" }

// Enabled reports whether Confirm would act: one host, or the right count
// (or word) typed.
func (d Dialog) Enabled() bool {
	switch {
	case d.labels.Word != "":
		return d.typed == d.labels.Word
	case !d.NeedsCount():
		return true
	}
	return d.typed == Answer(len(d.targets))
}

// Update moves focus (tab, shift+tab, arrows), edits the count (digits,
// backspace), activates the focused button (enter) and cancels (esc).
func (d Dialog) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || d.outcome != Open {
		return d, nil
	}
	d.hint = ""
	switch s := k.String(); s {
	case "esc":
		d.outcome = Cancelled
	case "tab", "shift+tab", "left", "right":
		d.focus = 1 - d.focus
	case "backspace":
		if _, n := utf8.DecodeLastRuneInString(d.typed); n > 0 {
			d.typed = d.typed[:len(d.typed)-n]
		}
	case "enter":
		d.activate()
	default:
		switch {
		case d.labels.Word != "":
			if t := cell.Clean(k.Text); t != "" && len(d.typed)+len(t) <= len(d.labels.Word) {
				d.typed += t
			}
		case len(s) == 1 && s[0] >= '0' && s[0] <= '9' && d.NeedsCount() && len(d.typed) < maxTyped:
			d.typed += s
		}
	}
	return d, nil
}

func (d *Dialog) activate() {
	switch {
	case d.focus == Cancel:
		d.outcome = Cancelled
	case d.Enabled():
		d.outcome = Confirmed
	case d.labels.Word != "":
		d.hint = "type " + cell.Clean(d.labels.Word) + " first"
	default:
		d.hint = "type " + Answer(len(d.targets)) + " first"
	}
}

// View draws the framed dialog, every line the same width.
func (d Dialog) View() string {
	w := min(d.width, maxWidth)
	if w < 20 {
		return ""
	}
	inner := w - 3
	n := len(d.targets)
	title := d.verb + " " + cell.Clean(d.unit) + " on " + hostCount(n)
	if d.labels.Title != "" {
		title = cell.Clean(d.labels.Title)
	}
	body := []string{
		d.th.Title.Render(cell.Fit(title, inner, d.th.Glyphs.Ellipsis)),
		"",
		cell.Fit(d.subject(), 8, "") + " " + cell.Clean(d.unit),
	}
	body = append(body, d.commandLines(inner)...)
	body = append(body, "")
	if d.NeedsCount() {
		body = append(body, d.countLine())
	}
	body = append(body, d.buttons(), d.th.Dim.Render(d.footer()))
	frame := d.verb + " service"
	if d.labels.Subject != "" {
		frame = d.verb + " " + d.labels.Subject
	}
	return strings.Join(d.th.Framed(frame, body, w), "\n")
}

func hostCount(n int) string {
	if n == 1 {
		return "1 host"
	}
	return strconv.Itoa(n) + " hosts"
}

// commandLines lists the hosts with the command each runs, grouped by
// command so a fleet where sudo differs shows each command once.
func (d Dialog) commandLines(inner int) []string {
	var cmds []string
	byCmd := map[string][]string{}
	for _, t := range d.targets {
		if _, seen := byCmd[t.Command]; !seen {
			cmds = append(cmds, t.Command)
		}
		byCmd[t.Command] = append(byCmd[t.Command], cell.Clean(t.Host))
	}
	var out []string
	for i, c := range cmds {
		if i == maxGroups {
			out = append(out, "+"+strconv.Itoa(len(cmds)-i)+" more commands")
			break
		}
		out = append(out, "Hosts    "+JoinLimited(byCmd[c], inner-9, d.th.Glyphs.Ellipsis))
		out = append(out, labelled("Command  ", []string{cell.Clean(c)}, inner-9)...)
		out = append(out, labelled("Script   ", ScriptLines(c), inner-9)...)
	}
	return out
}

// labelled wraps each line to width and labels the first row.
func labelled(label string, lines []string, width int) []string {
	var out []string
	for _, line := range lines {
		for _, part := range Wrap(line, width) {
			out = append(out, label+part)
			label = cell.Spaces(9)
		}
	}
	return out
}

// ScriptLines is the PowerShell script a Hyper-V command carries as
// -EncodedCommand, decoded from the exact command line and cleaned like
// remote text, one entry per non-empty line; nil for any other command.
// The operator confirms what will run, not an opaque base64 string.
func ScriptLines(cmd string) []string {
	script, ok := remote.DecodeEncodedCommand(cmd)
	if !ok {
		return nil
	}
	var out []string
	for _, l := range cell.CleanLines(script) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (d Dialog) countLine() string {
	cursor := "█"
	if d.th.Glyphs.Bracket {
		cursor = "_"
	}
	if d.labels.Word != "" {
		return "Type " + cell.Clean(d.labels.Word) + " to confirm: " + d.typed + cursor
	}
	noun := "hosts"
	if d.labels.Noun != "" {
		noun = d.labels.Noun + "s"
	}
	return "Type " + Answer(len(d.targets)) + " (the number of " + noun + ") to confirm: " + d.typed + cursor
}

func (d Dialog) buttons() string {
	render := func(b Button, label string) string {
		text := "[ " + label + " ]"
		if b == Confirm && !d.Enabled() {
			text = "( " + label + " )"
		}
		// the cursor glyph marks focus without relying on reverse video
		if d.focus == b {
			return d.th.Glyphs.Cursor + d.th.Selected.Render(text)
		}
		return " " + text
	}
	return "       " + render(Cancel, "Cancel") + "   " + render(Confirm, d.verb)
}

func (d Dialog) footer() string {
	if d.hint != "" {
		return d.hint
	}
	return "tab switch " + d.th.Glyphs.Dot + " enter activate " + d.th.Glyphs.Dot + " esc cancel"
}

// JoinLimited joins names with ", " in at most width cells, ending with
// "+N more" when they do not all fit.
func JoinLimited(names []string, width int, ellipsis string) string {
	out := ""
	for i, n := range names {
		sep := ""
		if i > 0 {
			sep = ", "
		}
		rest := len(names) - i - 1
		more := ""
		if rest > 0 {
			more = " +" + strconv.Itoa(rest) + " more"
		}
		if cell.Width(out+sep+n+more) > width && i > 0 {
			return out + " +" + strconv.Itoa(len(names)-i) + " more"
		}
		out += sep + n
	}
	return cell.Fit(out, min(cell.Width(out), max(width, 1)), ellipsis)
}

// Wrap cuts s into lines of at most width cells, at spaces where it can:
// the command must be shown whole, never truncated. The loop ends because
// every pass consumes at least one rune.
func Wrap(s string, width int) []string {
	if width < 1 || cell.Width(s) <= width {
		return []string{s}
	}
	var out []string
	for s != "" {
		if cell.Width(s) <= width {
			return append(out, s)
		}
		r := []rune(s)
		cut := min(width, len(r))
		if i := strings.LastIndex(string(r[:cut]), " "); i > 0 {
			cut = len([]rune(string(r[:cut])[:i])) + 1
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		s = string(r[cut:])
	}
	return out
}
