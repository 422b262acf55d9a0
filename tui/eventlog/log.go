package eventlog

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

// Append adds events in order; the last one becomes the newest.
func (l *Log) Append(evs ...Event) {
	for _, e := range evs {
		l.buf[l.head] = e
		l.head = (l.head + 1) % len(l.buf)
		if l.count < len(l.buf) {
			l.count++
		}
		l.total++
	}
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
