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
// one is ignored. An action's outcome that comes after its host recovered
// (a verified restart ends after the probe that saw it back) still joins
// its intent in the incident.
func Build(recs []Record, opts BuildOptions) []Incident {
	recs = slices.Clone(recs)
	sort.SliceStable(recs, func(a, b int) bool { return recs[a].Time.Before(recs[b].Time) })
	open := map[string]*Incident{}
	var all []*Incident
	// ended is the last incident of each host, for late outcomes.
	ended := map[string]*Incident{}
	for _, rec := range recs {
		if len(opts.Hosts) > 0 && !slices.Contains(opts.Hosts, rec.Host) {
			continue
		}
		cur := open[rec.Host]
		switch {
		case rec.Kind == KindStatus:
			if cur == nil {
				if inc := status(open, nil, rec); inc != nil {
					all = append(all, inc)
				}
			} else if status(open, cur, rec); open[rec.Host] == nil {
				ended[rec.Host] = cur
			}
		case cur != nil:
			cur.add(rec)
		case rec.Kind == KindAction && rec.Phase == actions.PhaseOutcome && ended[rec.Host] != nil:
			if e := ended[rec.Host]; e.joinOutcome(rec) {
				e.Timeline = append(e.Timeline, rec)
			}
		}
	}
	out := make([]Incident, 0, len(all))
	for _, i := range all {
		if opts.Since.IsZero() || i.Open() || !i.Recovered.Before(opts.Since) {
			out = append(out, *i)
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Detected.Equal(out[b].Detected) {
			return out[a].Detected.Before(out[b].Detected)
		}
		return out[a].Host < out[b].Host
	})
	return out
}

// status applies a status record to the host's open incident cur (nil:
// none): it continues or ends cur, or opens a new incident, which it
// returns.
func status(open map[string]*Incident, cur *Incident, rec Record) *Incident {
	to, err := probes.ParseStatus(rec.To)
	if err != nil {
		return nil
	}
	switch {
	case to == probes.OK && cur != nil:
		cur.Recovered = recTime(rec)
		cur.Timeline = append(cur.Timeline, rec)
		delete(open, rec.Host)
		return nil
	case to == probes.OK:
		return nil
	case cur == nil:
		inc := &Incident{Host: rec.Host, Detected: rec.Time, Start: rec.Time, Worst: to.String(), Cause: rec.Cause}
		if rec.HostTime != nil {
			inc.Start, inc.StartFromHost = *rec.HostTime, true
		}
		inc.Timeline, inc.lastTo = append(inc.Timeline, rec), rec.To
		open[rec.Host] = inc
		return inc
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
	return nil
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

// joinOutcome gives a pending action of the incident its outcome, when rec
// is that action's outcome; it reports whether it was.
func (i *Incident) joinOutcome(rec Record) bool {
	for k := len(i.Actions) - 1; k >= 0; k-- {
		if a := &i.Actions[k]; a.Outcome == "pending" && rec.ID != "" && a.id == rec.ID {
			a.Outcome, a.Error = rec.Outcome, rec.Error
			return true
		}
	}
	return false
}

func (i *Incident) addAction(rec Record) {
	if rec.Phase == actions.PhaseOutcome && i.joinOutcome(rec) {
		return
	}
	a := Action{Time: rec.Time, Action: rec.Action, Args: rec.Args, User: rec.User, Outcome: rec.Outcome,
		Error: rec.Error, id: rec.ID}
	if rec.Phase == actions.PhaseIntent {
		a.Outcome = "pending"
	}
	i.Actions = append(i.Actions, a)
}
