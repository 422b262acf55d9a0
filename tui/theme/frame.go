package theme

import "github.com/hvconsole/hvconsole/tui/cell"

// Framed draws body inside a border width cells wide, with title in the top
// edge. Every returned line is exactly width cells; body lines are fitted
// (cut with the ellipsis) to the inside. Dialogs use it so they look alike
// and fall back to ASCII with the rest of the console.
func (t Theme) Framed(title string, body []string, width int) []string {
	if width < 4 {
		return nil
	}
	g := t.Glyphs
	inner := width - 2
	top := g.Rule + " " + cell.Clean(title) + " "
	top = cell.Fit(top+t.Rule(inner), inner, "")
	out := make([]string, 0, len(body)+2)
	out = append(out, t.Title.Render(g.Frame[0]+top+g.Frame[1]))
	for _, l := range body {
		out = append(out, g.Frame[4]+cell.Fit(" "+l, inner, g.Ellipsis)+g.Frame[4])
	}
	out = append(out, g.Frame[2]+t.Rule(inner)+g.Frame[3])
	return out
}
