package probes

import (
	"slices"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// reportOf waits for a report of host.
func reportOf(t *testing.T, s *Scheduler, host string) HostReport {
	t.Helper()
	return waitReport(t, s, "a report of "+host, func(r HostReport) bool { return r.Host == host })
}

func TestUpdateHostsStartsStopsAndKeeps(t *testing.T) {
	keep, gone, changed, added := healthyHost(), healthyHost(), healthyHost(), healthyHost()
	cfg, tr, s := fleet([]string{"keep", "gone", "changed"}, []*fakeHost{keep, gone, changed}, SchedulerOptions{})
	tr.hosts["added"] = added
	stop := startRun(t, s)
	defer stop()
	for _, h := range []string{"keep", "gone", "changed"} {
		s.Refresh(h)
		reportOf(t, s, h)
	}

	next := &hosts.Config{Concurrency: cfg.Concurrency, Hosts: []hosts.Host{cfg.Hosts[0], cfg.Hosts[2], testHost("added")}}
	next.Hosts[1].ProbeTimeout = 3 * time.Second
	started, stopped := s.UpdateHosts(next)
	slices.Sort(started)
	slices.Sort(stopped)
	if !slices.Equal(started, []string{"added", "changed"}) || !slices.Equal(stopped, []string{"changed", "gone"}) {
		t.Errorf("UpdateHosts = started %v, stopped %v; want [added changed], [changed gone]", started, stopped)
	}
	if n := gone.reconnects.Load(); n != 1 {
		t.Errorf("removed host's connection closed %d times, want 1", n)
	}
	if n := keep.reconnects.Load(); n != 0 {
		t.Errorf("unchanged host's connection closed %d times, want 0", n)
	}
	s.Refresh("added")
	if r := reportOf(t, s, "added"); r.Status != OK {
		t.Errorf("added host: %v", r.Status)
	}
	s.Refresh("keep")
	reportOf(t, s, "keep")
	if n := keep.connects.Load(); n != 2 || keep.opens.Load() != 1 {
		t.Errorf("unchanged host: %d transport connects, %d libvirt opens; want its connection kept (1 open)",
			n, keep.opens.Load())
	}
	s.Refresh("gone")
	if n := gone.connects.Load(); n != 1 {
		t.Errorf("removed host probed again (%d connects)", n)
	}
}

func TestUpdateHostsBeforeRun(t *testing.T) {
	cfg, _, s := fleet([]string{"a"}, []*fakeHost{healthyHost()}, SchedulerOptions{})
	if started, stopped := s.UpdateHosts(&hosts.Config{Concurrency: cfg.Concurrency}); started != nil || stopped != nil {
		t.Errorf("UpdateHosts before Run = %v, %v; want nothing started or stopped", started, stopped)
	}
}
