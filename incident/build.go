package incident

import (
	"slices"
	"sort"
	"time"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// Incident is one host's time from its first non-OK status to OK again.
type Incident struct {
	Host string `json:"host"`
	// Start is when it began: the host's own time of the change where the
	// journal has it (StartFromHost), else Detected.
	Start         time.Time `json:"start"`
	StartFromHost bool      `json:"start_from_host"`
	// Detected is when hvconsole first saw the host not OK.
	Detected time.Time `json:"detected"`
	// Worst is the worst status seen; Cause the first cause journaled.
	Worst string `json:"worst"`
	Cause string `json:"cause,omitempty"`
	// Acked is the first acknowledgement made during the incident (zero:
	// none), by AckedBy with AckNote.
	Acked   time.Time `json:"acknowledged,omitzero"`
	AckedBy string    `json:"acknowledged_by,omitempty"`
	AckNote string    `json:"ack_note,omitempty"`
	Actions []Action  `json:"actions,omitempty"`
	// Recovered is when the host was OK again (zero: still open).
	Recovered time.Time `json:"recovered,omitzero"`
	// Timeline is every record of the host during the incident, in order.
	Timeline []Record `json:"-"`
	lastTo   string   // the last status in Timeline
}

// Action is one action taken on the host during an incident: its intent
// joined to its outcome (or a refusal).
type Action struct {
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`
	Args    []string  `json:"args,omitempty"`
	User    string    `json:"user,omitempty"`
	Outcome string    `json:"outcome"` // ok, failed, unknown, refused, ... ("pending": no outcome journaled)
	Error   string    `json:"error,omitempty"`
	id      string    // ties an intent to its outcome
}

// Open reports an incident the journal has not seen end.
func (i Incident) Open() bool { return i.Recovered.IsZero() }

// TimeToDetect is Detected - Start (ok false when Start is not the host's
// own time: then it is not known).
func (i Incident) TimeToDetect() (time.Duration, bool) {
	return nonNegative(i.Detected.Sub(i.Start)), i.StartFromHost
}

// TimeToAcknowledge is Acked - Detected (ok false when never acknowledged).
func (i Incident) TimeToAcknowledge() (time.Duration, bool) {
	return nonNegative(i.Acked.Sub(i.Detected)), !i.Acked.IsZero()
}

// TimeToRecover is Recovered - Start (ok false while open).
func (i Incident) TimeToRecover() (time.Duration, bool) {
	return nonNegative(i.Recovered.Sub(i.Start)), !i.Open()
}

// nonNegative keeps a clock skew between a host and us from showing as a
// negative time.
func nonNegative(d time.Duration) time.Duration { return max(d, 0) }

// BuildOptions select incidents.
type BuildOptions struct {
	// Since keeps incidents still open at or after it (zero: all).
	Since time.Time
	// Hosts keeps only these hosts (none: all).
	Hosts []string
}

// Build turns journal records into incidents, ordered by detection. Records
// may come from several writers and repeat one another (two consoles on one
// journal): a non-OK status during an incident continues it, an OK outside
// one is ignored.
func Build(recs []Record, opts BuildOptions) []Incident {
	recs = slices.Clone(recs)
	sort.SliceStable(recs, func(a, b int) bool { return recs[a].Time.Before(recs[b].Time) })
	open := map[string]*Incident{}
	var out []Incident
	for _, rec := range recs {
		if len(opts.Hosts) > 0 && !slices.Contains(opts.Hosts, rec.Host) {
			continue
		}
		cur := open[rec.Host]
		if rec.Kind == KindStatus {
			if done, ok := status(open, cur, rec); ok {
				out = append(out, done)
			}
			continue
		}
		if cur != nil {
			cur.add(rec)
		}
	}
	for _, cur := range open {
		out = append(out, *cur)
	}
	out = slices.DeleteFunc(out, func(i Incident) bool {
		return !opts.Since.IsZero() && !i.Open() && i.Recovered.Before(opts.Since)
	})
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Detected.Equal(out[b].Detected) {
			return out[a].Detected.Before(out[b].Detected)
		}
		return out[a].Host < out[b].Host
	})
	return out
}

// status applies a status record: it opens an incident, continues it, or
// ends it (returned with ok).
func status(open map[string]*Incident, cur *Incident, rec Record) (Incident, bool) {
	to, err := probes.ParseStatus(rec.To)
	if err != nil {
		return Incident{}, false
	}
	switch {
	case to == probes.OK && cur != nil:
		cur.Recovered = recTime(rec)
		cur.Timeline = append(cur.Timeline, rec)
		delete(open, rec.Host)
		return *cur, true
	case to == probes.OK:
		return Incident{}, false
	case cur == nil:
		inc := &Incident{Host: rec.Host, Detected: rec.Time, Start: rec.Time, Worst: to.String(), Cause: rec.Cause}
		if rec.HostTime != nil {
			inc.Start, inc.StartFromHost = *rec.HostTime, true
		}
		inc.Timeline, inc.lastTo = append(inc.Timeline, rec), rec.To
		open[rec.Host] = inc
		return Incident{}, false
	}
	if w, err := probes.ParseStatus(cur.Worst); err == nil && to.Severity() > w.Severity() {
		cur.Worst = to.String()
	}
	if cur.Cause == "" {
		cur.Cause = rec.Cause
	}
	if cur.lastTo != rec.To { // another writer's copy of a change adds nothing
		cur.Timeline = append(cur.Timeline, rec)
		cur.lastTo = rec.To
	}
	return Incident{}, false
}

// recTime is the host's own time of a change where known, else ours.
func recTime(rec Record) time.Time {
	if rec.HostTime != nil {
		return *rec.HostTime
	}
	return rec.Time
}

// add folds an ack or an action record into the incident.
func (i *Incident) add(rec Record) {
	i.Timeline = append(i.Timeline, rec)
	switch rec.Kind {
	case KindAck:
		if rec.Ended == "" && i.Acked.IsZero() {
			i.Acked, i.AckedBy, i.AckNote = rec.Time, rec.Owner, rec.Note
		}
	case KindAction:
		i.addAction(rec)
	}
}

func (i *Incident) addAction(rec Record) {
	if rec.Phase == actions.PhaseOutcome {
		for k := len(i.Actions) - 1; k >= 0; k-- {
			if a := &i.Actions[k]; a.Outcome == "pending" && rec.ID != "" && a.id == rec.ID {
				a.Outcome, a.Error = rec.Outcome, rec.Error
				return
			}
		}
	}
	a := Action{Time: rec.Time, Action: rec.Action, Args: rec.Args, User: rec.User, Outcome: rec.Outcome,
		Error: rec.Error, id: rec.ID}
	if rec.Phase == actions.PhaseIntent {
		a.Outcome = "pending"
	}
	i.Actions = append(i.Actions, a)
}
