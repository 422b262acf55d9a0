package tui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hvconsole/hvconsole/incident"
	"github.com/hvconsole/hvconsole/tui/cell"
	"github.com/hvconsole/hvconsole/tui/journal"
)

// openIncidents shows the incidents of this session, with the time to
// detect, acknowledge and recover, and the session's journal, newest
// first, in a scrollable pane (i or esc closes it). It reads the journal's
// in-memory copy: no I/O.
func (m Model) openIncidents() (Model, tea.Cmd) {
	j := m.opts.Journal
	if j == nil {
		m.note = "incidents unavailable: no journal"
		return m, nil
	}
	text := incidentsText(j, m.now(), m.th.Glyphs.Dot)
	m.journal = journal.NewText(m.th, m.keys, "Incidents "+m.th.Glyphs.Dot+" this session", text)
	m.overlay = overlayIncidents
	m.layout()
	return m, nil
}

// incidentsText is the view's text: a summary, each incident (newest
// first) with its facts and actions, then the session's journal. Every
// text from a host or a person goes through incident's cleaning (and the
// pane cleans again).
func incidentsText(j *incident.Journal, now time.Time, dot string) string {
	recs := j.Recent()
	incs := incident.Build(recs, incident.BuildOptions{})
	sum := incident.Summarize(incs)
	var b strings.Builder
	b.WriteString("Since " + cell.Clock(j.Started(), now) + " " + dot + " " + strconv.Itoa(sum.Count) + " incidents (" +
		strconv.Itoa(sum.Open) + " open)")
	if p := j.Path(); p != "" {
		b.WriteString(" " + dot + " journal " + p)
	} else {
		b.WriteString(" " + dot + " journal kept by the collector (hvconsole incidents there)")
	}
	if n := j.Dropped(); n > 0 {
		b.WriteString(" " + dot + " " + strconv.FormatInt(n, 10) + " records NOT written")
	}
	b.WriteString("\n")
	for _, s := range []struct {
		name string
		st   incident.Stats
	}{{"detect", sum.Detect}, {"acknowledge", sum.Acknowledge}, {"recover", sum.Recover}} {
		b.WriteString("  time to " + s.name + ": ")
		if s.st.N == 0 {
			b.WriteString("-\n")
			continue
		}
		b.WriteString("median " + incident.FormatDuration(s.st.Median) + ", p90 " + incident.FormatDuration(s.st.P90) +
			" (" + strconv.Itoa(s.st.N) + ")\n")
	}
	slices.Reverse(incs)
	for _, i := range incs {
		b.WriteString("\n" + incidentLines(i, now, dot))
	}
	slices.SortStableFunc(recs, func(a, b incident.Record) int { return a.Time.Compare(b.Time) })
	b.WriteString("\nJournal, newest first\n")
	if len(recs) == 0 {
		b.WriteString("  (nothing journaled yet)\n")
	}
	for k := len(recs) - 1; k >= 0; k-- {
		r := recs[k]
		b.WriteString("  " + cell.Clock(r.Time, now) + " " + incident.Text(r.Host) + "  " + incident.Describe(r) + "\n")
	}
	return b.String()
}

// incidentLines is one incident: host, worst status and cause, then its
// times and the actions taken.
func incidentLines(i incident.Incident, now time.Time, dot string) string {
	state := "recovered"
	if i.Open() {
		state = "open"
	}
	s := incident.Text(i.Host) + "  " + i.Worst + "  " + state
	if i.Cause != "" {
		s += "  " + incident.Text(i.Cause)
	}
	s += "\n    started " + cell.Clock(i.Start, now)
	if i.StartFromHost {
		s += " (host's time)"
	}
	s += " " + dot + " detected " + cell.Clock(i.Detected, now)
	if d, ok := i.TimeToDetect(); ok {
		s += " (+" + incident.FormatDuration(d) + ")"
	}
	if d, ok := i.TimeToAcknowledge(); ok {
		s += " " + dot + " acknowledged by " + incident.Text(i.AckedBy) + " (+" + incident.FormatDuration(d) + ")"
	} else {
		s += " " + dot + " not acknowledged"
	}
	if d, ok := i.TimeToRecover(); ok {
		s += " " + dot + " recovered " + cell.Clock(i.Recovered, now) + " (" + incident.FormatDuration(d) + ")"
	}
	s += "\n"
	for _, a := range i.Actions {
		s += "    " + cell.Clock(a.Time, now) + " " + a.String() + "\n"
	}
	return s
}
