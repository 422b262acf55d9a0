package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/tui/cell"
)

// overlayBox draws box centred over body (both newline-separated, body
// width cells wide), keeping the body visible around it so the operator
// still sees the fleet behind a dialog. Styles are reset at the box edges
// so neither side bleeds into the other.
func overlayBox(body, box string, width int) string {
	if box == "" {
		return body
	}
	lines := strings.Split(body, "\n")
	rows := strings.Split(box, "\n")
	bw := 0
	for _, r := range rows {
		bw = max(bw, cell.Width(r))
	}
	bw = min(bw, width)
	x := max((width-bw)/2, 0)
	y := max((len(lines)-len(rows))/2, 0)
	for i, r := range rows {
		if y+i >= len(lines) {
			break
		}
		base := cell.Fit(lines[y+i], width, "")
		left := ansi.Truncate(base, x, "")
		right := ansi.TruncateLeft(base, x+bw, "")
		lines[y+i] = left + ansi.ResetStyle + cell.Fit(r, bw, "") + ansi.ResetStyle + right
	}
	return strings.Join(lines, "\n")
}
