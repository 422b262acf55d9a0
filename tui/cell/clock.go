package cell

import "time"

// Clock is the console's one way of writing a moment: "15:04:05" for a
// time today, "Jan 02 15:04:05" for any other day (an event from before
// midnight must not read as this afternoon's). Both are in now's zone.
func Clock(t, now time.Time) string {
	t = t.In(now.Location())
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 02 15:04:05")
}
