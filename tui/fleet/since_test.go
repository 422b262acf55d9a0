package fleet

import (
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// SINCE is the host's own time of its state where the host told it (a
// dead daemon's unit timestamps, probes.Result.Since), possibly in a later
// report of the same status; otherwise when this console saw the change,
// and the text says "seen since". A new status starts over.
func TestSinceFromHost(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 2, 16, 40, 0, time.UTC)
	crit := func(at, since time.Time) probes.HostReport {
		r := rep("hv1", probes.CRIT, time.Millisecond, at)
		r.Checks = []probes.Result{{Check: hosts.CheckHypervisor, Status: probes.CRIT, Summary: "libvirtd failed",
			Time: at, Since: since}}
		return r
	}
	steps := []struct {
		name   string
		r      probes.HostReport
		want   time.Time
		byHost bool
		text   string
	}{
		{"first seen OK", rep("hv1", probes.OK, time.Millisecond, t0), t0, false, "seen since 02:16:40 (0s)"},
		{"CRIT, the host cannot say", crit(t0.Add(time.Minute), time.Time{}), t0.Add(time.Minute), false,
			"seen since 02:17:40 (0s)"},
		{"still CRIT, now the host says", crit(t0.Add(70*time.Second), t0.Add(30*time.Second)), t0.Add(30 * time.Second), true,
			"since 02:17:10 (40s) by the host"},
		{"still CRIT, no time again", crit(t0.Add(80*time.Second), time.Time{}), t0.Add(30 * time.Second), true,
			"since 02:17:10 (50s) by the host"},
		{"recovered", rep("hv1", probes.OK, time.Millisecond, t0.Add(90*time.Second)), t0.Add(90 * time.Second), false,
			"seen since 02:18:10 (0s)"},
		{"a host time later than what we saw is not taken", crit(t0.Add(100*time.Second), t0.Add(200*time.Second)),
			t0.Add(100 * time.Second), false, "seen since 02:18:20 (0s)"},
	}
	h := NewHost(hosts.Host{Name: "hv1"})
	for _, st := range steps {
		h.apply(st.r, st.r.Time)
		if !h.Changed.Equal(st.want) || h.ChangedByHost != st.byHost {
			t.Errorf("%s: Changed %v by host %v, want %v %v", st.name, h.Changed, h.ChangedByHost, st.want, st.byHost)
		}
		if got := h.SinceText(st.r.Time); got != st.text {
			t.Errorf("%s: %q, want %q", st.name, got, st.text)
		}
	}
}
