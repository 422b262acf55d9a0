package eventlog

import (
	"slices"
	"time"

	"github.com/hvconsole/hvconsole/probes"
)

// DefaultCapacity bounds the log so a flapping fleet cannot grow memory
// without limit; older events fall off the end.
const DefaultCapacity = 1000

// Log is a bounded ring of events. The zero value is not usable: call
// NewLog. It is owned by the console's root model and only touched from
// Update, so it needs no lock.
type Log struct {
	buf   []Event
	head  int // index of the next write
	count int
	total int // events ever appended, for "N dropped" and change detection
}

// NewLog returns an empty log holding at most capacity events (at least 1).
func NewLog(capacity int) *Log {
	if capacity < 1 {
		capacity = 1
	}
	return &Log{buf: make([]Event, capacity)}
}

// Append adds events in order; the last one becomes the newest. A host
// that turned UNKNOWN (the console not knowing yet: a link being checked)
// and turns CRIT or WARN within mergeWindow is one line, its first, now
// naming the cause (see merge). It returns how many lines were added.
func (l *Log) Append(evs ...Event) int {
	added := 0
	for _, e := range evs {
		if l.merge(e) {
			continue
		}
		l.buf[l.head] = e
		l.head = (l.head + 1) % len(l.buf)
		if l.count < len(l.buf) {
			l.count++
		}
		l.total++
		added++
	}
	return added
}

// mergeWindow and mergeLookback bound which UNKNOWN line a host's next
// change may be folded into: at most this old, among the newest lines.
const (
	mergeWindow   = 5 * time.Second
	mergeLookback = 8
)

// merge folds e, a host's change from UNKNOWN to CRIT or WARN, into that
// host's line into UNKNOWN when it is recent: "OK → UNKNOWN link in doubt"
// then "UNKNOWN → CRIT ssh: unreachable" is one line "OK → CRIT ssh:
// unreachable", its checks' transitions folded together.
func (l *Log) merge(e Event) bool {
	if e.Action != "" || e.Check != "" || e.New || e.From != probes.UNKNOWN || (e.To != probes.CRIT && e.To != probes.WARN) {
		return false
	}
	n := len(l.buf)
	for i := range min(l.count, mergeLookback) {
		p := &l.buf[((l.head-1-i)%n+n)%n]
		if p.Host != e.Host {
			continue
		}
		if p.Action != "" || p.Check != "" || p.To != probes.UNKNOWN || e.Time.Before(p.Time) || e.Time.Sub(p.Time) > mergeWindow {
			return false
		}
		p.To, p.Summary = e.To, e.Summary
		p.Folded = append(slices.Clip(p.Folded), e.Folded...)
		return true
	}
	return false
}

// Len is how many events are held.
func (l *Log) Len() int { return l.count }

// Total is how many events were ever appended.
func (l *Log) Total() int { return l.total }

// At returns the i-th newest event (0 is the newest). i must be < Len.
func (l *Log) At(i int) Event {
	n := len(l.buf)
	return l.buf[((l.head-1-i)%n+n)%n]
}

// Recent returns up to max of the newest events for one host, newest first.
func (l *Log) Recent(host string, max int) []Event {
	var out []Event
	for i := 0; i < l.count && len(out) < max; i++ {
		if e := l.At(i); e.Host == host {
			out = append(out, e)
		}
	}
	return out
}
