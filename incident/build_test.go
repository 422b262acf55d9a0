package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes/actions"
)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func st(min int, host, from, to string) Record {
	return Record{Time: at(min), Kind: KindStatus, Host: host, From: from, To: to}
}

func TestBuild(t *testing.T) {
	hostStart := at(-1)
	recs := []Record{
		st(5, "a", "CRIT", "OK"), // a recovery with no incident open: ignored
		{Time: at(10), Kind: KindStatus, Host: "a", From: "OK", To: "WARN", Cause: "vms: x", HostTime: &hostStart},
		st(10, "a", "OK", "WARN"), // another writer's copy
		{Time: at(12), Kind: KindAck, Host: "a", Owner: "al", Note: "mine"},
		{Time: at(13), Kind: KindAck, Host: "a", Owner: "bo"}, // a second ack: the first one counts
		{Time: at(14), Kind: KindAction, Host: "a", Action: "vm-start", ID: "1", Phase: actions.PhaseIntent, Args: []string{"x"}},
		{Time: at(15), Kind: KindAction, Host: "a", Action: "vm-start", ID: "2", Phase: actions.PhaseIntent, Args: []string{"y"}},
		{Time: at(16), Kind: KindAction, Host: "a", Action: "vm-start", ID: "1", Phase: actions.PhaseOutcome, Outcome: "ok"},
		st(17, "a", "WARN", "CRIT"),
		st(20, "a", "CRIT", "OK"),
		st(21, "c", "OK", "CRIT"),
		{Time: at(22), Kind: KindAction, Host: "c", Action: "restart", ID: "9", Phase: actions.PhaseIntent},
		st(23, "c", "CRIT", "OK"),
		{Time: at(24), Kind: KindAction, Host: "c", Action: "restart", ID: "9", Phase: actions.PhaseOutcome, Outcome: "ok"},  // after the recovery
		{Time: at(25), Kind: KindAction, Host: "c", Action: "restart", ID: "10", Phase: actions.PhaseOutcome, Outcome: "ok"}, // no intent in it
		st(30, "b", "OK", "UNKNOWN"),
		{Time: at(31), Kind: KindAck, Host: "c", Owner: "al"}, // no incident on c: ignored
	}
	incs := Build(recs, BuildOptions{})
	if len(incs) != 3 {
		t.Fatalf("%d incidents: %+v", len(incs), incs)
	}
	a, c, b := incs[0], incs[1], incs[2]
	if len(c.Actions) != 1 || c.Actions[0].Outcome != "ok" || len(c.Timeline) != 4 {
		t.Errorf("a late outcome: %+v", c)
	}
	if a.Host != "a" || !a.Start.Equal(hostStart) || !a.StartFromHost || !a.Detected.Equal(at(10)) || a.Worst != "CRIT" ||
		a.Cause != "vms: x" || a.AckedBy != "al" || a.AckNote != "mine" || !a.Acked.Equal(at(12)) || !a.Recovered.Equal(at(20)) {
		t.Errorf("a: %+v", a)
	}
	var acts []string
	for _, x := range a.Actions {
		acts = append(acts, x.String())
	}
	if got := strings.Join(acts, "; "); got != "vm-start x: ok; vm-start y: pending" {
		t.Errorf("actions: %s", got)
	}
	if d, ok := a.TimeToDetect(); !ok || d != 11*time.Minute {
		t.Errorf("detect %v %v", d, ok)
	}
	if d, ok := a.TimeToAcknowledge(); !ok || d != 2*time.Minute {
		t.Errorf("ack %v %v", d, ok)
	}
	if d, ok := a.TimeToRecover(); !ok || d != 21*time.Minute {
		t.Errorf("recover %v %v", d, ok)
	}
	if len(a.Timeline) != 8 {
		t.Errorf("timeline has %d records, want 8 (the copy left out)", len(a.Timeline))
	}
	if b.Host != "b" || !b.Open() {
		t.Errorf("b: %+v", b)
	}
	if _, ok := b.TimeToRecover(); ok {
		t.Error("an open incident has a time to recover")
	}
	if got := Build(recs, BuildOptions{Since: at(24)}); len(got) != 1 || got[0].Host != "b" {
		t.Errorf("since: %+v", got)
	}
	if got := Build(recs, BuildOptions{Hosts: []string{"a"}}); len(got) != 1 || got[0].Host != "a" {
		t.Errorf("hosts: %+v", got)
	}
}

func TestStats(t *testing.T) {
	s := func(secs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range secs {
			out = append(out, time.Duration(x)*time.Second)
		}
		return out
	}
	for _, tc := range []struct {
		in          []time.Duration
		n           int
		median, p90 time.Duration
	}{
		{nil, 0, 0, 0},
		{s(5), 1, 5 * time.Second, 5 * time.Second},
		{s(4, 1, 3, 2), 4, 2500 * time.Millisecond, 4 * time.Second},
		{s(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 10, 5500 * time.Millisecond, 9 * time.Second},
		{s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100), 11, 6 * time.Second, 10 * time.Second},
	} {
		got := stats(tc.in)
		if got.N != tc.n || got.Median != tc.median || got.P90 != tc.p90 {
			t.Errorf("stats(%v) = %+v, want n %d median %v p90 %v", tc.in, got, tc.n, tc.median, tc.p90)
		}
	}
}

func TestDescribeCleansText(t *testing.T) {
	rec := Record{Kind: KindAck, Host: "h", Owner: "al\x1b[2J", Note: "x\u202ey\nz"}
	if got := Describe(rec); strings.ContainsAny(got, "\x1b\u202e\n") {
		t.Errorf("Describe kept control characters: %q", got)
	}
	if got := mdEscape("a|b <i>"); got != `a\|b \<i\>` {
		t.Errorf("mdEscape: %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		4 * time.Second: "4s", 186 * time.Second: "3m06s", 62 * time.Minute: "1h02m", 51 * time.Hour: "2d03h",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
