package incident

import (
	"time"

	"github.com/hvconsole/hvconsole/probes"
)

// Observe journals r when the host's status changed since the status last
// journaled for it (this session's or, after a restart, the file's). A
// host first seen OK is not news and writes nothing. It is cheap: a map
// lookup under a lock, and one queued record per change.
func (j *Journal) Observe(r probes.HostReport) {
	j.mu.Lock()
	prev, had := j.last[r.Host]
	if (had && prev == r.Status) || (!had && r.Status == probes.OK) {
		j.last[r.Host] = r.Status
		j.mu.Unlock()
		return
	}
	j.last[r.Host] = r.Status
	j.mu.Unlock()
	rec := Record{Time: r.Time, Kind: KindStatus, Host: r.Host, To: r.Status.String(), Cause: cause(r)}
	if had {
		rec.From = prev.String()
	}
	if t := hostTime(r); !t.IsZero() {
		t = t.UTC()
		rec.HostTime = &t
	}
	j.Append(rec)
}

// cause names the worst check and its short cause ("" when OK).
func cause(r probes.HostReport) string {
	if w, ok := r.Worst(); ok && w.Status != probes.OK {
		return w.Check + ": " + probes.ShortCause(w)
	}
	return ""
}

// hostTime is the host's own time of the change, when the report carries
// it: the worst check's Since (a dead daemon's unit timestamps), kept only
// when it is no later than the report (zero otherwise).
func hostTime(r probes.HostReport) time.Time {
	w, ok := r.Worst()
	if !ok || w.Status == probes.OK || w.Since.IsZero() || (!r.Time.IsZero() && w.Since.After(r.Time)) {
		return time.Time{}
	}
	return w.Since
}
