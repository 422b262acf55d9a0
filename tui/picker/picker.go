// Package picker is a small modal list: the operator moves with j/k (or
// the arrows), picks with enter and backs out with esc. The console uses it
// to choose the service to restart and the unit whose journal to read.
package picker

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

// Outcome is where the operator left the picker.
type Outcome int

// Outcomes.
const (
	Open Outcome = iota
	Chosen
	Cancelled
)

// maxWidth keeps the dialog readable on a wide terminal.
const maxWidth = 64

// Picker is the list widget. Items are cleaned when drawn.
type Picker struct {
	th      theme.Theme
	keys    keys.Map
	title   string
	hint    string
	items   []string
	cursor  int
	outcome Outcome
	width   int
	height  int
}

// New returns an open picker over items with the cursor on index cursor.
// hint is one line shown above the list (e.g. which hosts it is for).
func New(th theme.Theme, km keys.Map, title, hint string, items []string, cursor int) Picker {
	p := Picker{th: th, keys: km, title: title, hint: hint, items: items}
	p.cursor = min(max(cursor, 0), max(len(items)-1, 0))
	return p
}

// SetSize gives the picker the box it may use (it draws itself smaller).
func (p *Picker) SetSize(w, h int) { p.width, p.height = max(w, 0), max(h, 0) }

// Outcome reports whether the operator picked, cancelled or is still here.
func (p Picker) Outcome() Outcome { return p.outcome }

// Chosen returns the picked item once the outcome is Chosen.
func (p Picker) Chosen() (string, bool) {
	if p.outcome != Chosen || len(p.items) == 0 {
		return "", false
	}
	return p.items[p.cursor], true
}

// Cursor is the index of the item under the cursor (the chosen one once
// the outcome is Chosen).
func (p Picker) Cursor() int { return p.cursor }

// Update moves the cursor, picks on enter and cancels on esc.
func (p Picker) Update(msg tea.Msg) (Picker, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || p.outcome != Open {
		return p, nil
	}
	switch k.String() {
	case "enter":
		if len(p.items) > 0 {
			p.outcome = Chosen
		}
		return p, nil
	case "esc":
		p.outcome = Cancelled
		return p, nil
	}
	switch p.keys.Resolve(k, false, false) {
	case keys.Up:
		p.cursor--
	case keys.Down:
		p.cursor++
	case keys.Top:
		p.cursor = 0
	case keys.Bottom:
		p.cursor = len(p.items) - 1
	}
	p.cursor = min(max(p.cursor, 0), max(len(p.items)-1, 0))
	return p, nil
}

// rows is how many items fit: the frame, the hint, a blank and the keys
// line take five lines.
func (p Picker) rows() int { return max(min(len(p.items), p.height-5), 1) }

// View draws the framed list, every line the same width.
func (p Picker) View() string {
	w := min(p.width, maxWidth)
	if w < 8 {
		return ""
	}
	rows := p.rows()
	off := max(p.cursor-rows+1, 0) // keep the cursor on the last visible row
	body := []string{cell.Clean(p.hint)}
	for i := off; i < len(p.items) && i < off+rows; i++ {
		mark := "  "
		if i == p.cursor {
			mark = p.th.Glyphs.Cursor + " "
		}
		line := cell.Fit(mark+strconv.Itoa(i+1)+". "+cell.Clean(p.items[i]), w-3, p.th.Glyphs.Ellipsis)
		if i == p.cursor {
			line = p.th.Selected.Render(line)
		}
		body = append(body, line)
	}
	if len(p.items) == 0 {
		body = append(body, "  (nothing to choose)")
	}
	body = append(body, p.th.Dim.Render("j/k move "+p.th.Glyphs.Dot+" enter choose "+p.th.Glyphs.Dot+" esc cancel"))
	return strings.Join(p.th.Framed(p.title, body, w), "\n")
}
