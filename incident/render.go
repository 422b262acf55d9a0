package incident

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what `hvconsole incidents` prints: the incidents of a window
// and their summary.
type Report struct {
	// Since and Until bound the window (Since zero: the whole journal).
	Since, Until time.Time
	Journal      string
	Incidents    []Incident
	Summary      Summary
	// Skipped counts journal lines that were not records.
	Skipped int
}

// NewReport builds the report of recs for opts.
func NewReport(recs []Record, opts BuildOptions, until time.Time) Report {
	incs := Build(recs, opts)
	return Report{Since: opts.Since, Until: until, Incidents: incs, Summary: Summarize(incs)}
}

const stamp = "2006-01-02 15:04:05"

// clock is t as a time of day, with the date when it is not start's day.
func clock(t, start time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.UTC()
	if y, m, d := t.Date(); y == start.UTC().Year() && m == start.UTC().Month() && d == start.UTC().Day() {
		return t.Format("15:04:05")
	}
	return t.Format("01-02 15:04:05")
}

// WriteTable prints one row per incident (its actions on the lines under
// it) and the summary. A start marked * is the host's own time.
func (r Report) WriteTable(w io.Writer) error {
	var rows bytes.Buffer
	tw := tabwriter.NewWriter(&rows, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tSTART (UTC)\tDETECTED\tACKNOWLEDGED\tRECOVERED\tDETECT\tACK\tRECOVER\tWORST\tCAUSE")
	for _, i := range r.Incidents {
		fmt.Fprintln(tw, tableRow(i))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// the actions go under their row, outside the aligned columns
	lines := strings.Split(strings.TrimSuffix(rows.String(), "\n"), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for k, i := range r.Incidents {
		b.WriteString(lines[k+1] + "\n")
		for _, act := range i.Actions {
			fmt.Fprintf(&b, "    %s %s\n", clock(act.Time, i.Start), act)
		}
	}
	if len(r.Incidents) > 0 {
		b.WriteString("(* the host's own time of the change)\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return r.writeSummary(w)
}

// tableRow is an incident's tab-separated row.
func tableRow(i Incident) string {
	start := i.Start.UTC().Format(stamp)
	if i.StartFromHost {
		start += "*"
	}
	ack := clock(i.Acked, i.Start)
	if i.AckedBy != "" {
		ack += " " + Text(i.AckedBy)
	}
	rec := clock(i.Recovered, i.Start)
	if i.Open() {
		rec = "open"
	}
	d, dok := i.TimeToDetect()
	a, aok := i.TimeToAcknowledge()
	v, vok := i.TimeToRecover()
	return strings.Join([]string{Text(i.Host), start, clock(i.Detected, i.Start), ack, rec,
		measure(d, dok), measure(a, aok), measure(v, vok), i.Worst, Text(i.Cause)}, "\t")
}

func (r Report) writeSummary(w io.Writer) error {
	fmt.Fprintf(w, "%d incidents (%d open)", r.Summary.Count, r.Summary.Open)
	if r.Skipped > 0 {
		fmt.Fprintf(w, "; %d journal line(s) skipped (not records)", r.Skipped)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tN\tMEDIAN\tP90")
	for _, m := range r.measures() {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", m.name, m.N, measure(m.Median, m.N > 0), measure(m.P90, m.N > 0))
	}
	return tw.Flush()
}

type namedStats struct {
	name string
	Stats
}

func (r Report) measures() []namedStats {
	return []namedStats{{"time to detect", r.Summary.Detect}, {"time to acknowledge", r.Summary.Acknowledge},
		{"time to recover", r.Summary.Recover}}
}

// WriteJSON prints the report as one JSON document; durations in seconds.
func (r Report) WriteJSON(w io.Writer) error {
	type incJSON struct {
		Incident
		Open        bool     `json:"open"`
		Detect      *float64 `json:"time_to_detect_s"`
		Acknowledge *float64 `json:"time_to_acknowledge_s"`
		Recover     *float64 `json:"time_to_recover_s"`
	}
	type statsJSON struct {
		N      int      `json:"n"`
		Median *float64 `json:"median_s"`
		P90    *float64 `json:"p90_s"`
	}
	secs := func(d time.Duration, ok bool) *float64 {
		if !ok {
			return nil
		}
		return new(d.Seconds())
	}
	st := func(s Stats) statsJSON {
		return statsJSON{N: s.N, Median: secs(s.Median, s.N > 0), P90: secs(s.P90, s.N > 0)}
	}
	out := struct {
		Since     *time.Time `json:"since,omitempty"`
		Until     time.Time  `json:"until"`
		Incidents []incJSON  `json:"incidents"`
		Summary   struct {
			Count       int       `json:"count"`
			Open        int       `json:"open"`
			Detect      statsJSON `json:"time_to_detect"`
			Acknowledge statsJSON `json:"time_to_acknowledge"`
			Recover     statsJSON `json:"time_to_recover"`
		} `json:"summary"`
		Skipped int `json:"skipped_lines"`
	}{Until: r.Until.UTC(), Incidents: []incJSON{}, Skipped: r.Skipped}
	if !r.Since.IsZero() {
		out.Since = new(r.Since.UTC())
	}
	for _, i := range r.Incidents {
		c := cleanIncident(i)
		out.Incidents = append(out.Incidents, incJSON{Incident: c, Open: i.Open(), Detect: secs(i.TimeToDetect()),
			Acknowledge: secs(i.TimeToAcknowledge()), Recover: secs(i.TimeToRecover())})
	}
	out.Summary.Count, out.Summary.Open = r.Summary.Count, r.Summary.Open
	out.Summary.Detect, out.Summary.Acknowledge, out.Summary.Recover = st(r.Summary.Detect), st(r.Summary.Acknowledge), st(r.Summary.Recover)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// cleanIncident strips the text fields a host or a person typed.
func cleanIncident(i Incident) Incident {
	i.Host, i.Cause, i.AckedBy, i.AckNote = Text(i.Host), Text(i.Cause), Text(i.AckedBy), Text(i.AckNote)
	acts := make([]Action, len(i.Actions))
	for k, a := range i.Actions {
		a.Action, a.User, a.Outcome, a.Error = Text(a.Action), Text(a.User), Text(a.Outcome), Text(a.Error)
		args := make([]string, len(a.Args))
		for n, s := range a.Args {
			args[n] = Text(s)
		}
		a.Args = args
		acts[k] = a
	}
	i.Actions = acts
	return i
}

// when is a window bound for headings.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// heading names the window.
func (r Report) heading() string {
	if r.Since.IsZero() {
		return "until " + when(r.Until)
	}
	return when(r.Since) + " to " + when(r.Until)
}
