package probes

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// Integration tests against the real lab (lab/lab.sh up): real sshd and real
// libvirtd per host. This package owns lab hosts 5-10. This machine has no
// /dev/kvm, so the kvm check is left out of the lab hosts' checks.

// labFleet loads the lab inventory and returns a scheduler over a fresh SSH
// pool, plus the hosts numbered ns. Both are closed when the test ends.
func labFleet(t *testing.T, ns ...int) (*labtest.Lab, *Scheduler, []hosts.Host) {
	t.Helper()
	l := labtest.Require(t)
	cfg, err := hosts.Load(l.ConfigPath)
	if err != nil {
		t.Fatalf("lab config: %v", err)
	}
	var hs []hosts.Host
	for _, n := range ns {
		i := slices.IndexFunc(cfg.Hosts, func(h hosts.Host) bool { return h.Name == l.Host(n).Name })
		if i < 0 {
			t.Fatalf("lab host %d not in %s", n, l.ConfigPath)
		}
		h := cfg.Hosts[i]
		h.Checks = []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}
		hs = append(hs, h)
	}
	pool := sshx.NewPool(sshx.Options{KeepaliveInterval: time.Second})
	s := NewScheduler(&hosts.Config{Concurrency: 8, Hosts: hs}, NewSSHTransport(pool),
		SchedulerOptions{})
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("scheduler close: %v", err)
		}
		pool.Close()
	})
	return l, s, hs
}

func TestLabHealthyHost(t *testing.T) {
	l, s, hs := labFleet(t, 5)
	rep := s.Round(t.Context(), hs)[0]
	if rep.Status != OK {
		t.Fatalf("healthy lab host: %v %+v", rep.Status, rep.Checks)
	}
	out := l.Exec(t, 5, "virsh", "-q", "-c", labtest.LibvirtURI, "list", "--all", "--name")
	var want []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			want = append(want, line)
		}
	}
	slices.Sort(want)
	var got []string
	for _, v := range rep.VMs {
		got = append(got, v.Name)
	}
	if !slices.Equal(want, got) || len(got) == 0 {
		t.Errorf("VMs %v, virsh says %v", got, want)
	}
	for _, c := range rep.Checks {
		t.Logf("%s: %v %s", c.Check, c.Status, c.Summary)
	}
	wantCheck(t, rep, "hypervisor", OK, "libvirt ")
	if rep.Version == "" || rep.SSHLatency <= 0 {
		t.Errorf("version %q, ssh latency %v", rep.Version, rep.SSHLatency)
	}
}

// A stopped daemon is CRIT, and its SINCE is the host's own time of the
// stop (read from the unit's timestamps), not the time of the probe; a
// daemon killed behind the unit manager's back has no such time here (the
// lab's systemctl cannot know when it died): Since stays zero, "seen since".
func TestLabLibvirtdStopped(t *testing.T) {
	l, s, hs := labFleet(t, 6, 7)
	before := time.Now()
	l.Libvirtd(t, "stop", 6)
	stopped := time.Now()
	reps := s.Round(t.Context(), hs)
	wantCheck(t, reps[0], "hypervisor", CRIT, "hypervisor not running: libvirtd inactive")
	if reps[0].Status != CRIT || reps[1].Status != OK {
		t.Errorf("stopped host %v, other host %v %+v", reps[0].Status, reps[1].Status, reps[1].Checks)
	}
	hv := checkOf(t, reps[0], "hypervisor")
	t.Logf("stop between %s and %s; host says since %s; probed at %s", before.Format(time.StampMilli),
		stopped.Format(time.StampMilli), hv.Since.Format(time.StampMilli), hv.Time.Format(time.StampMilli))
	// the host's clock ticks in 10 ms; the conversion is good to one round trip
	if hv.Since.Before(before.Add(-time.Second)) || hv.Since.After(stopped.Add(time.Second)) {
		t.Errorf("Since %v, want the stop's time (between %v and %v)", hv.Since, before, stopped)
	}
	l.Libvirtd(t, "start", 6)
	l.Libvirtd(t, "kill", 6)
	rep := s.Round(t.Context(), hs[:1])[0]
	wantCheck(t, rep, "hypervisor", CRIT, "libvirtd failed")
	if hv := checkOf(t, rep, "hypervisor"); !hv.Since.IsZero() {
		t.Errorf("a killed daemon's Since %v, want zero (the host does not know)", hv.Since)
	}
}

func TestLabSshdStopped(t *testing.T) {
	l, s, hs := labFleet(t, 8)
	l.Sshd(t, "stop", 8)
	rep := s.Round(t.Context(), hs)[0]
	wantCheck(t, rep, "ssh", CRIT, "unreachable")
	wantCheck(t, rep, "hypervisor", UNKNOWN, SummaryUnreachable)
}

// A frozen sshd hangs the handshake: the check ends at its deadline and the
// other host's report is complete before that.
func TestLabSshdFrozen(t *testing.T) {
	l, s, hs := labFleet(t, 9, 10)
	hs[0].ConnectTimeout, hs[0].ProbeTimeout = time.Second, time.Second
	l.Sshd(t, "freeze", 9)
	done := make(chan []HostReport, 1)
	go func() { done <- s.Round(t.Context(), hs) }()
	reps := within(t, done, "the round with a frozen host")
	wantCheck(t, reps[0], "ssh", CRIT, "unreachable")
	if reps[1].Status != OK || !reps[1].Time.Before(reps[0].Time) {
		t.Errorf("other host %v at %v, frozen host ended at %v", reps[1].Status, reps[1].Time, reps[0].Time)
	}
}

func TestLabLibvirtdRestartReconnects(t *testing.T) {
	l, s, hs := labFleet(t, 7)
	if rep := s.Round(t.Context(), hs)[0]; rep.Status != OK {
		t.Fatalf("before restart: %v %+v", rep.Status, rep.Checks)
	}
	before := labSession(s, hs[0])
	l.Libvirtd(t, "restart", 7)
	rep := s.Round(t.Context(), hs)[0]
	if rep.Status != OK {
		t.Errorf("after restart: %v %+v", rep.Status, rep.Checks)
	}
	if after := labSession(s, hs[0]); after == nil || after == before {
		t.Error("the libvirt connection was not reopened after the restart")
	}
}

// A frozen libvirtd never answers: the call is cut at its deadline, the
// connection is dropped without leaking goroutines (goleak in TestMain),
// and systemctl explains that the unit is still active.
func TestLabLibvirtdFrozen(t *testing.T) {
	l, s, hs := labFleet(t, 10)
	hs[0].ProbeTimeout = time.Second
	if rep := s.Round(t.Context(), hs)[0]; rep.Status != OK {
		t.Fatalf("before freeze: %v %+v", rep.Status, rep.Checks)
	}
	l.Libvirtd(t, "freeze", 10)
	rep := s.Round(t.Context(), hs)[0]
	wantCheck(t, rep, "hypervisor", CRIT, "libvirt API not answering (no answer before the deadline); libvirtd active")
	wantCheck(t, rep, "vms", UNKNOWN, "VM list unavailable")
	l.Libvirtd(t, "thaw", 10)
	if rep := s.Round(t.Context(), hs)[0]; rep.Status != OK {
		t.Errorf("after thaw: %v %+v", rep.Status, rep.Checks)
	}
}

func labSession(s *Scheduler, h hosts.Host) *lvSession {
	st := s.state(h.Name)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.sess
}
