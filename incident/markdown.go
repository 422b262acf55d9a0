package incident

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown prints the report as a postmortem skeleton: the summary,
// each incident's facts, actions and timeline from the journal, and the
// sections people fill in. Every journal text is cleaned and escaped.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Postmortem: %d incidents, %s\n\n", r.Summary.Count, r.heading())
	fmt.Fprintf(&b, "_Drafted by `hvconsole incidents` from the incident journal. The facts below come from it; the sections in italics are for the people who handled it._\n\n")
	b.WriteString("## Summary\n\n| measure | incidents | median | p90 |\n|---|---|---|---|\n")
	for _, m := range r.measures() {
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", m.name, m.N, measure(m.Median, m.N > 0), measure(m.P90, m.N > 0))
	}
	fmt.Fprintf(&b, "\n%d incidents, %d still open.", r.Summary.Count, r.Summary.Open)
	if r.Skipped > 0 {
		fmt.Fprintf(&b, " %d journal line(s) were not records and were skipped.", r.Skipped)
	}
	b.WriteString("\n")
	for n, i := range r.Incidents {
		writeIncidentMarkdown(&b, n+1, i)
	}
	b.WriteString(postmortemSections)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeIncidentMarkdown(b *strings.Builder, n int, i Incident) {
	fmt.Fprintf(b, "\n## %d. %s: %s", n, mdEscape(i.Host), i.Worst)
	if i.Cause != "" {
		fmt.Fprintf(b, ", %s", mdEscape(i.Cause))
	}
	b.WriteString("\n\n| | time (UTC) | after |\n|---|---|---|\n")
	start := i.Start.UTC().Format(stamp)
	if i.StartFromHost {
		start += " (the host's own time)"
	} else {
		start += " (when detected; the host's own time is not known)"
	}
	fmt.Fprintf(b, "| started | %s | |\n", start)
	d, dok := i.TimeToDetect()
	fmt.Fprintf(b, "| detected | %s | %s |\n", i.Detected.UTC().Format(stamp), measure(d, dok))
	if a, ok := i.TimeToAcknowledge(); ok {
		by := mdEscape(i.AckedBy)
		if i.AckNote != "" {
			by += `: "` + mdEscape(i.AckNote) + `"`
		}
		fmt.Fprintf(b, "| acknowledged | %s by %s | %s |\n", i.Acked.UTC().Format(stamp), by, FormatDuration(a))
	} else {
		b.WriteString("| acknowledged | never | |\n")
	}
	if v, ok := i.TimeToRecover(); ok {
		fmt.Fprintf(b, "| recovered | %s | %s |\n", i.Recovered.UTC().Format(stamp), FormatDuration(v))
	} else {
		b.WriteString("| recovered | still open | |\n")
	}
	b.WriteString("\nActions taken:\n\n")
	if len(i.Actions) == 0 {
		b.WriteString("- none journaled\n")
	}
	for _, a := range i.Actions {
		fmt.Fprintf(b, "- %s %s\n", a.Time.UTC().Format("15:04:05"), mdEscape(a.String()))
	}
	b.WriteString("\nTimeline:\n\n| time (UTC) | event |\n|---|---|\n")
	for _, rec := range i.Timeline {
		fmt.Fprintf(b, "| %s | %s |\n", rec.Time.UTC().Format(stamp), mdEscape(Describe(rec)))
	}
}

const postmortemSections = `
## Impact

_Who and what was affected, and for how long._

## Root cause

_Why it happened, and why it was not caught earlier._

## What went well

_..._

## What went wrong

_..._

## Action items

| action | owner | due |
|---|---|---|
| | | |
`
