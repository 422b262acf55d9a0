package incident

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hvconsole/hvconsole/probes/actions"
)

// Injection kinds of a drill, and the action that answers each.
const (
	InjectDaemonStop = "daemon-stop" // answered by restarting the daemon (restart)
	InjectVMCrash    = "vm-crash"    // answered by starting the VM (vm-start VM)
)

// Injection is one incident a drill caused, unannounced.
type Injection struct {
	Kind, Host string
	// VM is the crashed VM (InjectVMCrash).
	VM string
	At time.Time
}

// rightAction reports whether an action record answers the injection: the
// right action on the right host (for a crash, on the crashed VM).
func (in Injection) rightAction(rec Record) bool {
	if rec.Host != in.Host {
		return false
	}
	switch in.Kind {
	case InjectDaemonStop:
		return rec.Action == actions.ActionRestart
	case InjectVMCrash:
		return rec.Action == actions.ActionVMStart && len(rec.Args) == 1 && rec.Args[0] == in.VM
	}
	return false
}

// Scoring of a drill: each incident is worth up to 100 points, full marks
// inside the first bound, none after the second, linear between.
var (
	ackPoints     = scoreBand{points: 30, full: time.Minute, none: 5 * time.Minute}
	actPoints     = scoreBand{points: 40, full: 2 * time.Minute, none: 10 * time.Minute}
	recoverPoints = scoreBand{points: 30, full: 3 * time.Minute, none: 15 * time.Minute}
)

// WrongHostPenalty is taken off the score for each action on a host that
// had no drill incident at the time.
const WrongHostPenalty = 15

type scoreBand struct {
	points     int
	full, none time.Duration
}

func (b scoreBand) score(d time.Duration, ok bool) int {
	switch {
	case !ok || d >= b.none:
		return 0
	case d <= b.full:
		return b.points
	}
	return int(float64(b.points) * float64(b.none-d) / float64(b.none-b.full))
}

// DrillResult is how the operator answered one injection.
type DrillResult struct {
	Injection
	// Ack, Act and Recover are the times from the injection to the first
	// acknowledgement of the host, the first right action, and the host
	// OK again; the Ok flags say whether each happened.
	Ack, Act, Recover       time.Duration
	AckOK, ActOK, RecoverOK bool
	Points                  int
}

// DrillSheet is a drill's score sheet.
type DrillSheet struct {
	Results []DrillResult
	// WrongHost lists the actions taken on hosts without a drill incident
	// ("restart on kvm-02").
	WrongHost []string
	// Score is the mean of the incidents' points less the penalties, 0 at
	// least.
	Score int
}

// ScoreDrill rates the operator from the journal records of the drill.
func ScoreDrill(plan []Injection, recs []Record) DrillSheet {
	var s DrillSheet
	total := 0
	for _, in := range plan {
		r := DrillResult{Injection: in}
		for _, rec := range recs {
			if rec.Host != in.Host || rec.Time.Before(in.At) {
				continue
			}
			d := rec.Time.Sub(in.At)
			switch {
			case rec.Kind == KindAck && rec.Ended == "" && !r.AckOK:
				r.Ack, r.AckOK = d, true
			case rec.Kind == KindAction && rec.Phase == actions.PhaseIntent && in.rightAction(rec) && !r.ActOK:
				r.Act, r.ActOK = d, true
			case rec.Kind == KindStatus && rec.To == "OK" && !r.RecoverOK:
				r.Recover, r.RecoverOK = d, true
			}
		}
		r.Points = ackPoints.score(r.Ack, r.AckOK) + actPoints.score(r.Act, r.ActOK) + recoverPoints.score(r.Recover, r.RecoverOK)
		total += r.Points
		s.Results = append(s.Results, r)
	}
	for _, rec := range recs {
		if rec.Kind == KindAction && rec.Phase == actions.PhaseIntent && !drillHostAt(plan, rec) {
			s.WrongHost = append(s.WrongHost, Text(rec.Action)+" on "+Text(rec.Host)+" at "+rec.Time.UTC().Format("15:04:05"))
		}
	}
	if len(plan) > 0 {
		s.Score = max(total/len(plan)-WrongHostPenalty*len(s.WrongHost), 0)
	}
	return s
}

// drillHostAt reports whether rec's host had a drill incident by then.
func drillHostAt(plan []Injection, rec Record) bool {
	for _, in := range plan {
		if in.Host == rec.Host && !rec.Time.Before(in.At) {
			return true
		}
	}
	return false
}

// Write prints the sheet: one row per incident, the penalties, the score.
func (s DrillSheet) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tHOST\tINJECTED (UTC)\tACKNOWLEDGED\tRIGHT ACTION\tRECOVERED\tPOINTS")
	for _, r := range s.Results {
		what := r.Kind
		if r.VM != "" {
			what += " " + Text(r.VM)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/100\n", what, Text(r.Host), r.At.UTC().Format("15:04:05"),
			after(r.Ack, r.AckOK), after(r.Act, r.ActOK), after(r.Recover, r.RecoverOK), r.Points)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Results) == 0 {
		fmt.Fprintln(w, "no incident happened: the drill ended before the first")
	}
	for _, wh := range s.WrongHost {
		fmt.Fprintf(w, "wrong host: %s (-%d)\n", wh, WrongHostPenalty)
	}
	_, err := fmt.Fprintf(w, "score: %d/100 (%d incidents; %s)\n", s.Score, len(s.Results), s.rules())
	return err
}

func after(d time.Duration, ok bool) string {
	if !ok {
		return "never"
	}
	return "+" + FormatDuration(d)
}

// rules say how points are given, so the sheet explains itself.
func (s DrillSheet) rules() string {
	return fmt.Sprintf("ack %d pts within %s, act %d within %s, recover %d within %s, none after %s/%s/%s",
		ackPoints.points, FormatDuration(ackPoints.full), actPoints.points, FormatDuration(actPoints.full),
		recoverPoints.points, FormatDuration(recoverPoints.full),
		FormatDuration(ackPoints.none), FormatDuration(actPoints.none), FormatDuration(recoverPoints.none))
}

// Record is the sheet as one journal line (KindDrill): the score and the
// sheet's summary.
func (s DrillSheet) Record(host string) Record {
	var b strings.Builder
	for i, r := range s.Results {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s on %s %d/100", r.Kind, r.Host, r.Points)
	}
	if len(s.WrongHost) > 0 {
		fmt.Fprintf(&b, "; %d wrong-host actions", len(s.WrongHost))
	}
	score := s.Score
	return Record{Kind: KindDrill, Host: host, Score: &score, Note: fmt.Sprintf("score %d/100: %s", s.Score, b.String())}
}
