package probes

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hvconsole/hvconsole/hosts"
)

// Under Run a slow backups check never holds up the host's probes: the
// report comes without it, and the backups result is published once the
// check ends.
func TestRunBackupsDoNotBlockProbes(t *testing.T) {
	defer goleak.VerifyNone(t)
	fh := healthyHost()
	fh.backupsGate = make(chan struct{})
	cfg, _, s := fleet([]string{"a"}, []*fakeHost{fh}, SchedulerOptions{})
	h := &cfg.Hosts[0]
	h.Checks = append(h.Checks, hosts.CheckBackups)
	h.Backups = []hosts.Backup{{Name: "nightly", Path: "/srv/b/*.img", MaxAge: time.Hour}}
	h.ProbeTimeout = time.Minute // the gate, not a deadline, must end the backups check
	h.ProbeInterval = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		_ = s.Close()
	}()

	next := func() HostReport {
		select {
		case r := <-s.Updates():
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no report within 10s")
		}
		return HostReport{}
	}
	first := next()
	if _, ok := first.Check(hosts.CheckBackups); ok || first.Status != OK {
		t.Fatalf("first report while the backups check runs: %s %+v", first.Status, first.Checks)
	}
	close(fh.backupsGate)
	for {
		r := next()
		if b, ok := r.Check(hosts.CheckBackups); ok {
			if b.Status != CRIT { // the listing found no file
				t.Fatalf("backups = %s %q, want CRIT (no file)", b.Status, b.Summary)
			}
			// The report carries each spec's outcome too (the collector's
			// backup metrics read them).
			if len(r.Backups) != 1 || r.Backups[0].Spec != "nightly" || r.Backups[0].Newest != "" {
				t.Errorf("report's backups = %+v, want the nightly spec without a file", r.Backups)
			}
			return
		}
	}
}

// While Run is paused a probe (an operator's refresh, an event) does not
// start the backups check however due it is; RefreshBackups still does.
func TestPausedRunStartsBackupsOnlyWhenAsked(t *testing.T) {
	cfg, _, s := fleet([]string{"a"}, []*fakeHost{healthyHost()}, SchedulerOptions{})
	h := cfg.Hosts[0]
	h.Checks = append(h.Checks, hosts.CheckBackups)
	st := s.state(h.Name)
	p := &hostProbe{s: s, h: h, st: st}
	s.started.Store(true)
	kicked := func() bool {
		select {
		case <-st.backupsKick:
			return true
		default:
			return false
		}
	}
	for _, c := range []struct {
		name          string
		paused, asked bool
		want          bool
	}{
		{"running, due", false, false, true},
		{"paused, due", true, false, false},
		{"paused, asked", true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.SetPaused(c.paused)
			st.backupsDue.Store(c.asked)
			if _, _, ok := p.backups(t.Context()); ok {
				t.Error("a result before the first run")
			}
			if got := kicked(); got != c.want {
				t.Errorf("backups run started = %v, want %v", got, c.want)
			}
		})
	}
}
