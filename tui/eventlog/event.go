// Package eventlog turns consecutive host reports into status-transition
// events, keeps the newest of them in a bounded ring, and draws them as a
// scrollable pane, newest first.
package eventlog

import (
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/probes"
)

// Event is one status transition of a host (Check == "") or of one check,
// or the outcome of an operator action on a host (Action != "").
// New is set for the first status ever seen (there is no From).
type Event struct {
	Time     time.Time
	Host     string
	Check    string
	From, To probes.Status
	New      bool
	Summary  string
	// Action names the operator action this event reports ("restart");
	// From, To and New are unused then.
	Action string
	// Failed marks an action that did not do what was asked: it is
	// highlighted like a new CRIT.
	Failed bool
	// Cancelled marks an action the operator called off before it ran.
	Cancelled bool
	// Folded are the check transitions a host event stands for ("ssh OK →
	// CRIT"): one line per host and cause instead of one per check.
	Folded []string
}

// Hot reports an event the operator must not miss: a new CRIT or a failed
// action. The log marks it with "!!" and highlights it.
func (e Event) Hot() bool {
	if e.Action != "" {
		return e.Failed
	}
	return e.IsNewCrit()
}

// IsNewCrit reports a transition into CRIT: the events an operator must not
// miss, highlighted in the log.
func (e Event) IsNewCrit() bool {
	return e.Action == "" && e.To == probes.CRIT && (e.New || e.From != probes.CRIT)
}

// Diff returns the transitions from prev to next. When the host's status
// changes it is one event naming the root cause (the worst check's short
// cause; on recovery, the cause it recovered from), with the checks'
// transitions folded into it: an unreachable spell is one line down and
// one up, not one per check. When only checks change, each is an event.
// With no previous report (hadPrev false) only statuses that are not OK
// become events: a host that starts healthy is not news.
func Diff(prev probes.HostReport, hadPrev bool, next probes.HostReport) []Event {
	at := next.Time
	var checks []Event
	for _, c := range next.Checks {
		old, had := prev.Check(c.Check)
		if ev, ok := transition(at, next.Host, c.Check, old.Status, had && hadPrev, c.Status, probes.ShortCause(c)); ok {
			checks = append(checks, ev)
		}
	}
	host, ok := transition(at, next.Host, "", prev.Status, hadPrev, next.Status, rootCause(prev, next))
	if !ok {
		return checks
	}
	for _, c := range checks {
		host.Folded = append(host.Folded, c.Check+" "+fromWord(c)+" -> "+c.To.String())
	}
	return []Event{host}
}

// rootCause is the host event's summary: the worst check's short cause,
// or for a recovery the cause it recovered from.
func rootCause(prev, next probes.HostReport) string {
	if w, ok := next.Worst(); ok && w.Status != probes.OK {
		return w.Check + ": " + probes.ShortCause(w)
	}
	if w, ok := prev.Worst(); ok && w.Status != probes.OK {
		return "recovered from " + w.Check + ": " + probes.ShortCause(w)
	}
	return ""
}

func fromWord(e Event) string {
	if e.New {
		return "new"
	}
	return e.From.String()
}

// Matches reports whether the event mentions every word of filter (its
// host, check, action, statuses or summary), case-insensitively.
func (e Event) Matches(filter string) bool {
	text := strings.ToLower(e.Host + " " + e.Check + " " + e.Action + " " + e.From.String() + " " + e.To.String() +
		" " + e.Summary + " " + strings.Join(e.Folded, " "))
	for _, w := range strings.Fields(strings.ToLower(filter)) {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

func transition(at time.Time, host, check string, from probes.Status, had bool, to probes.Status, summary string) (Event, bool) {
	switch {
	case !had && to == probes.OK:
		return Event{}, false
	case had && from == to:
		return Event{}, false
	}
	return Event{Time: at, Host: host, Check: check, From: from, To: to, New: !had, Summary: summary}, true
}
