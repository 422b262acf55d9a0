// Package ackform is the dialog that acknowledges hosts' problems: the
// hosts, then three fields (owner, note, expiry) and two buttons. It looks
// and moves like the confirmation dialog (tab cycles, esc cancels), but an
// ack changes no host, so enter in any field acknowledges.
package ackform

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/tui/ack"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/confirm"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// Outcome is where the operator left the form.
type Outcome int

// Outcomes.
const (
	Open Outcome = iota
	Cancelled
	Done
)

// Focus order: the fields, then the buttons.
const (
	fieldOwner = iota
	fieldNote
	fieldExpiry
	buttonCancel
	buttonAck
	focusCount
)

const maxWidth = 76

// Form is the ack dialog.
type Form struct {
	th      theme.Theme
	hosts   []string
	fields  [3]string
	focus   int
	outcome Outcome
	hint    string
	expiry  time.Duration
	width   int
}

// New opens the form for hosts with owner filled in and the default
// expiry; the note has focus (the owner is usually right).
func New(th theme.Theme, hosts []string, owner string) Form {
	f := Form{th: th, hosts: hosts, focus: fieldNote}
	f.fields[fieldOwner] = cell.Clean(owner)
	f.fields[fieldExpiry] = ack.LeftText(ack.DefaultExpiry)
	return f
}

// Hosts are the hosts the form acknowledges.
func (f Form) Hosts() []string { return f.hosts }

// SetSize gives the form the box it may use (it draws itself smaller).
func (f *Form) SetSize(w, _ int) { f.width = max(w, 0) }

// Outcome reports whether the operator acknowledged, cancelled or is typing.
func (f Form) Outcome() Outcome { return f.outcome }

// Values are the owner, the note and the parsed expiry once Done.
func (f Form) Values() (owner, note string, expiry time.Duration) {
	return strings.TrimSpace(f.fields[fieldOwner]), strings.TrimSpace(f.fields[fieldNote]), f.expiry
}

// Update edits the focused field, moves focus (tab, shift+tab, up, down)
// and decides (enter, esc).
func (f Form) Update(msg tea.Msg) (Form, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || f.outcome != Open {
		return f, nil
	}
	f.hint = ""
	switch s := k.String(); s {
	case "esc":
		f.outcome = Cancelled
	case "tab", "down":
		f.focus = (f.focus + 1) % focusCount
	case "shift+tab", "up":
		f.focus = (f.focus + focusCount - 1) % focusCount
	case "left", "right":
		if f.focus >= buttonCancel {
			f.focus = buttonCancel + buttonAck - f.focus
		}
	case "enter":
		f.activate()
	case "backspace":
		if f.focus < buttonCancel {
			t := f.fields[f.focus]
			_, n := utf8.DecodeLastRuneInString(t)
			f.fields[f.focus] = t[:len(t)-n]
		}
	case "ctrl+u":
		if f.focus < buttonCancel {
			f.fields[f.focus] = ""
		}
	default:
		f.typeText(k.Text)
	}
	return f, nil
}

func (f *Form) typeText(text string) {
	if f.focus >= buttonCancel {
		return
	}
	t := cell.Clean(text)
	limit := [3]int{ack.MaxOwner, ack.MaxNote, 16}[f.focus]
	if t != "" && utf8.RuneCountInString(f.fields[f.focus]+t) <= limit {
		f.fields[f.focus] += t
	}
}

func (f *Form) activate() {
	if f.focus == buttonCancel {
		f.outcome = Cancelled
		return
	}
	d, err := time.ParseDuration(strings.TrimSpace(f.fields[fieldExpiry]))
	switch {
	case strings.TrimSpace(f.fields[fieldOwner]) == "":
		f.hint, f.focus = "an ack needs an owner", fieldOwner
	case err != nil:
		f.hint, f.focus = `expiry: want a duration such as "30m" or "2h"`, fieldExpiry
	case d <= 0 || d > ack.MaxExpiry:
		f.hint, f.focus = "expiry: more than 0 and at most "+ack.LeftText(ack.MaxExpiry), fieldExpiry
	default:
		f.expiry, f.outcome = d, Done
	}
}

// View draws the framed form, every line the same width.
func (f Form) View() string {
	w := min(f.width, maxWidth)
	if w < 30 {
		return ""
	}
	inner := w - 3
	body := []string{
		f.th.Title.Render(cell.Fit("Acknowledge the problem of "+hostCount(f.hosts), inner, f.th.Glyphs.Ellipsis)),
		"",
		" Hosts   " + confirm.JoinLimited(f.hosts, inner-9, f.th.Glyphs.Ellipsis),
		f.field(fieldOwner, "Owner   ", inner),
		f.field(fieldNote, "Note    ", inner),
		f.field(fieldExpiry, "Expiry  ", inner),
		"",
		f.buttons(),
		f.th.Dim.Render(f.footer()),
	}
	return strings.Join(f.th.Framed("Acknowledge", body, w), "\n")
}

// field draws one input; the focused one shows a cursor and keeps its end
// in view.
func (f Form) field(i int, label string, inner int) string {
	text, room := f.fields[i], inner-len(label)-2
	if f.focus == i {
		cursor := "█"
		if f.th.Glyphs.Bracket {
			cursor = "_"
		}
		if cell.Width(text) >= room {
			r := []rune(text)
			text = f.th.Glyphs.Ellipsis + string(r[len(r)-room+2:])
		}
		return f.th.Glyphs.Cursor + label + text + cursor
	}
	return " " + label + cell.Fit(text, room, f.th.Glyphs.Ellipsis)
}

func (f Form) buttons() string {
	render := func(b int, label string) string {
		text := "[ " + label + " ]"
		if f.focus == b {
			return f.th.Glyphs.Cursor + f.th.Selected.Render(text)
		}
		return " " + text
	}
	return "       " + render(buttonCancel, "Cancel") + "   " + render(buttonAck, "Acknowledge")
}

func (f Form) footer() string {
	if f.hint != "" {
		return f.hint
	}
	g := f.th.Glyphs
	return "tab next " + g.Dot + " enter acknowledge " + g.Dot + " esc cancel " + g.Dot + " stops the bell, changes no host"
}

func hostCount(names []string) string {
	if len(names) == 1 {
		return cell.Clean(names[0])
	}
	return strconv.Itoa(len(names)) + " hosts"
}
