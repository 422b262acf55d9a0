package incident

import (
	"fmt"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Text is s made safe to show: remote text stripped of control and
// invisible characters and kept to one line.
func Text(s string) string { return remote.CleanLine(s) }

// Describe is one record as one line of plain text (no host, no time),
// every field that may hold remote or typed text cleaned:
// "OK → CRIT: hypervisor: libvirtd failed", "acknowledged by alice:
// \"on it\" (until 04:03 UTC)", "vm-start web by alice: ok".
func Describe(rec Record) string {
	switch rec.Kind {
	case KindStatus:
		from := rec.From
		if from == "" {
			from = "new"
		}
		s := Text(from) + " → " + Text(rec.To)
		if rec.Cause != "" {
			s += ": " + Text(rec.Cause)
		}
		return s
	case KindAck:
		return describeAck(rec)
	case KindAction:
		return describeAction(rec.Action, rec.Args, rec.User, phaseWord(rec), rec.Error)
	case KindDrill:
		return "drill: " + Text(rec.Note)
	}
	return Text(rec.Kind)
}

func describeAck(rec Record) string {
	if rec.Ended != "" {
		return "acknowledgement by " + Text(rec.Owner) + " ended: " + Text(rec.Ended)
	}
	s := "acknowledged by " + Text(rec.Owner)
	if rec.Note != "" {
		s += fmt.Sprintf(": %q", Text(rec.Note))
	}
	if rec.Expires != nil {
		s += " (until " + rec.Expires.UTC().Format("15:04") + " UTC)"
	}
	return s
}

// phaseWord is an action record's state: intent, or its outcome.
func phaseWord(rec Record) string {
	if rec.Outcome != "" {
		return rec.Outcome
	}
	return rec.Phase
}

func describeAction(action string, args []string, user, outcome, errText string) string {
	s := Text(action)
	for _, a := range args {
		s += " " + Text(a)
	}
	if user != "" {
		s += " by " + Text(user)
	}
	s += ": " + Text(outcome)
	if errText != "" && outcome != "ok" {
		s += " (" + Text(errText) + ")"
	}
	return s
}

// String is an action taken, as one line: "vm-start web by alice: ok".
func (a Action) String() string { return describeAction(a.Action, a.Args, a.User, a.Outcome, a.Error) }

// FormatDuration is a duration as incidents show it: 4s, 3m06s, 1h02m,
// 2d03h.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// measure is a duration or "-" when it is not known.
func measure(d time.Duration, ok bool) string {
	if !ok {
		return "-"
	}
	return FormatDuration(d)
}

// mdEscape makes cleaned text inert in Markdown: no table cell break, no
// emphasis, code, link or HTML.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range Text(s) {
		if strings.ContainsRune("\\|*_`<>[]#!~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
