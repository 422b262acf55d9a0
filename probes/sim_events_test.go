package probes

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// Under Run, a VM crash on a simulated host reaches the vms check through
// the pushed lifecycle event, with no poll to explain it: the probe
// interval is a minute.
func TestSimFleetCrashPushed(t *testing.T) {
	f, s, hs := simFleet(t, 1)
	for i := range s.cfg.Hosts {
		s.cfg.Hosts[i].ProbeInterval = time.Minute
	}
	name := hs[0].Name
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s.Refresh(name) // the first probe now, not up to a minute from now

	wait := func(what string, ok func(HostReport) bool) HostReport {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case r := <-s.Updates():
				if ok(r) {
					return r
				}
			case <-timeout:
				t.Fatalf("no report with %s within 10s", what)
			}
		}
	}
	first := wait("the VMs", func(r HostReport) bool { return len(r.VMs) > 0 })
	subscribed := time.After(10 * time.Second)
	for f.Host(name).EventSubscribers() == 0 {
		select {
		case <-subscribed:
			t.Fatal("the probe never subscribed to lifecycle events")
		case <-time.After(10 * time.Millisecond): // polling the simulated host's count
		}
	}
	var victim string
	for _, v := range first.VMs {
		if v.State == "running" {
			victim = v.Name
			break
		}
	}
	if err := f.Host(name).CrashVM(victim); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep := wait("the crash", func(r HostReport) bool {
		c, _ := r.Check(hosts.CheckVMs)
		return strings.Contains(c.Details, "events: "+victim)
	})
	c, _ := rep.Check(hosts.CheckVMs)
	if c.Status != CRIT {
		t.Fatalf("vms after the crash: %s %q", c.Status, c.Summary)
	}
	t.Logf("crash to vms update: %v", time.Since(start))
}

// A simulated host answers the unit-times command as systemd would: a
// stopped daemon's hypervisor check carries the host's time of the stop.
func TestSimFleetDaemonStopSince(t *testing.T) {
	f, s, hs := simFleet(t, 1)
	before := time.Now()
	f.Host(hs[0].Name).StopDaemon()
	stopped := time.Now()
	rep := s.Round(t.Context(), hs)[0]
	wantCheck(t, rep, "hypervisor", CRIT, "libvirtd inactive")
	hv := checkOf(t, rep, "hypervisor")
	if hv.Since.Before(before.Add(-time.Second)) || hv.Since.After(stopped.Add(time.Second)) {
		t.Errorf("Since %v, want the stop's time (between %v and %v)", hv.Since, before, stopped)
	}
}
