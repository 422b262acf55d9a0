package incident

import (
	"slices"
	"time"
)

// Stats are the count, median and 90th percentile of one measure.
type Stats struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median_ns"`
	P90    time.Duration `json:"p90_ns"`
}

// Summary is the fleet's view of a list of incidents.
type Summary struct {
	Count int `json:"count"`
	Open  int `json:"open"`
	// Detect, Acknowledge and Recover are over the incidents where the
	// measure is known (see Incident.TimeToDetect and the others).
	Detect      Stats `json:"time_to_detect"`
	Acknowledge Stats `json:"time_to_acknowledge"`
	Recover     Stats `json:"time_to_recover"`
}

// Summarize counts the incidents and takes the median and p90 of each
// measure.
func Summarize(incs []Incident) Summary {
	var det, ack, rec []time.Duration
	s := Summary{Count: len(incs)}
	for _, i := range incs {
		if i.Open() {
			s.Open++
		}
		if d, ok := i.TimeToDetect(); ok {
			det = append(det, d)
		}
		if d, ok := i.TimeToAcknowledge(); ok {
			ack = append(ack, d)
		}
		if d, ok := i.TimeToRecover(); ok {
			rec = append(rec, d)
		}
	}
	s.Detect, s.Acknowledge, s.Recover = stats(det), stats(ack), stats(rec)
	return s
}

// stats: the median of an even count is the mean of the middle two; p90 is
// the nearest rank (the smallest value at or above 90% of the values).
func stats(ds []time.Duration) Stats {
	n := len(ds)
	if n == 0 {
		return Stats{}
	}
	slices.Sort(ds)
	med := ds[n/2]
	if n%2 == 0 {
		med = (ds[n/2-1] + ds[n/2]) / 2
	}
	rank := (9*n + 9) / 10 // ceil(0.9 n)
	return Stats{N: n, Median: med, P90: ds[rank-1]}
}
