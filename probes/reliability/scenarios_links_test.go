package reliability

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// Scenario 4: a half-open connection. The host's far end stops answering
// after the session is up (every sshd frozen, or every byte held by the
// link): the keepalive notices within 5 s, and a probe whose calls were
// pending on the dead link ends within its deadline instead of hanging.
// goleak (TestMain) proves no goroutine stays blocked.
func TestScenarioHalfOpen(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		fault func(*labtest.Lab, *testing.T, int)
	}{
		{"sshd hung", 40, func(l *labtest.Lab, t *testing.T, n int) { l.Sshd(t, "hang", n) }},
		{"bytes held", 41, func(l *labtest.Lab, t *testing.T, n int) { l.NetStall(t, n) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := labtestRequire(t)
			l.NetRoute(t, tc.n) // a stall must reach the connection opened next
			cfg := labConfig(t, l, tc.n)
			f := newFleet(t, l, cfg)
			f.run(t)
			up := f.sched.Updates()
			waitFor(t, up, 30*time.Second, "OK", func(r probes.HostReport) bool { return r.Status == probes.OK }, nil)
			start := time.Now()
			tc.fault(l, t, tc.n)
			// A one-off round on the same scheduler and connection: its
			// libvirt calls go out on the dead link and must end.
			round := make(chan probes.HostReport, 1)
			go func() { round <- f.sched.Round(t.Context(), cfg.Hosts)[0] }()
			_, at := waitFor(t, up, 15*time.Second, "CRIT unreachable", func(r probes.HostReport) bool {
				return causeOf(r) == causeUnreachable
			}, nil)
			t.Logf("CRIT unreachable after %s", at.Sub(start).Round(time.Millisecond))
			if d := at.Sub(start); d > 5*time.Second {
				t.Errorf("CRIT unreachable %s after the link went half-open, want within 5 s", d)
			}
			bound := cfg.Hosts[0].ProbeTimeout + cfg.Hosts[0].ConnectTimeout + 2*time.Second
			select {
			case rep := <-round:
				t.Logf("the pending round ended after %s: %s", time.Since(start).Round(time.Millisecond), describe(rep))
				if causeOf(rep) != causeUnreachable {
					t.Errorf("a round over the half-open link did not say unreachable: %s", describe(rep))
				}
			case <-time.After(bound):
				t.Fatalf("a round over the half-open link still runs after %s", bound)
			}
			l.Heal(t, tc.n)
			healed := time.Now()
			_, at = waitFor(t, up, 30*time.Second, "OK after the repair", func(r probes.HostReport) bool {
				return r.Status == probes.OK && r.Time.After(healed)
			}, nil)
			t.Logf("OK %s after the repair", at.Sub(healed).Round(time.Millisecond))
		})
	}
}

// Scenario 5: the link partitions while a restart runs on the host. The
// exit status never comes, so the outcome is unknown, never success or
// failure; the audit log holds the intent and that outcome, and the
// summary says it could not be confirmed. The host's systemctl stand-in
// holds the restart (as a slow restart of a busy daemon takes time) until
// the partition is in place.
func TestScenarioPartitionDuringRestart(t *testing.T) {
	const n = 42
	l := labtestRequire(t)
	cfg := labConfig(t, l, n)
	f := newFleet(t, l, cfg)
	if rep := f.sched.Round(t.Context(), cfg.Hosts)[0]; rep.Status != probes.OK {
		t.Fatalf("before the restart: %s", describe(rep))
	}
	release := holdRestart(t, l, n)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	audit, err := actions.OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	r := actions.New(actions.Options{Audit: audit, Transport: probes.NewSSHTransport(f.pool), Prober: f.sched,
		CommandTimeout: 20 * time.Second, VerifyTimeout: 10 * time.Second, VerifyEvery: time.Second})
	journal := filepath.Join(l.Dir, "hosts", l.Host(n).Name, "log", "libvirtd.log")
	before := countLines(t, journal, "restart held")
	done := make(chan actions.RestartResult, 1)
	go func() { done <- r.Restart(t.Context(), cfg.Hosts, "libvirtd")[0] }()
	waitJournal(t, journal, "restart held", before) // the command runs on the host
	l.NetPartition(t, n)
	release() // the restart goes on, behind the partition
	var res actions.RestartResult
	select {
	case res = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the restart did not end 60 s after the partition")
	}
	t.Logf("result: %s", res.Summary())
	if !res.Unconfirmed() || res.OK() {
		t.Errorf("outcome: unconfirmed %v, ok %v, err %v; want unknown", res.Unconfirmed(), res.OK(), res.Err)
	}
	if !strings.Contains(res.Summary(), "outcome unknown") {
		t.Errorf("summary %q does not say the outcome is unknown", res.Summary())
	}
	phases := map[string]actions.Record{}
	for _, rec := range readAudit(t, path) {
		phases[rec.Phase] = rec
	}
	in, out := phases[actions.PhaseIntent], phases[actions.PhaseOutcome]
	t.Logf("audit: intent %s %q, outcome %q", in.ID, in.Command, out.Outcome)
	if in.ID == "" || out.ID != in.ID || out.Outcome != "unknown" || out.Exit != nil {
		t.Errorf("audit intent %+v, outcome %+v; want both, outcome unknown without an exit status", in, out)
	}
}

// holdRestart makes host n's systemctl stand-in hold a restart (before it
// stops the daemon) until release is called or the test ends.
func holdRestart(t *testing.T, l *labtest.Lab, n int) (release func()) {
	t.Helper()
	hold := filepath.Join(l.Dir, "hosts", l.Host(n).Name, "srv", "hold-restart")
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	release = func() {
		if err := os.Remove(hold); err != nil && !os.IsNotExist(err) {
			t.Errorf("releasing the restart: %v", err)
		}
	}
	t.Cleanup(release)
	return release
}

// countLines counts the lines of file holding word.
func countLines(t *testing.T, file, word string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte(word))
}

// waitJournal waits until file holds more than before lines with word.
func waitJournal(t *testing.T, file, word string, before int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for countLines(t, file, word) <= before {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("no new %q in %s after 30 s", word, file)
		}
	}
}

func readAudit(t *testing.T, path string) []actions.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []actions.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var rec actions.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// Scenario 6: the jump host in front of two hosts is partitioned. Every
// host behind it turns CRIT naming that jump host (one cause, not two
// separate mysteries), from its first report made once the jump host's own
// link is known down, and all recover when the jump host does.
func TestScenarioJumpHostPartitioned(t *testing.T) {
	const jump = 44
	l := labtestRequire(t)
	behind := []int{42, 43}
	cfg := jumpConfig(t, l, jump, behind)
	f := newFleet(t, l, cfg)
	f.run(t)
	up := f.sched.Updates()
	interval := cfg.Hosts[0].ProbeInterval
	okSince := func(since time.Time, names ...string) {
		t.Helper()
		want := map[string]string{}
		for _, n := range names {
			want[n] = "no report"
		}
		deadline := time.After(3*interval + 20*time.Second)
		for len(want) > 0 {
			select {
			case rep := <-up:
				switch {
				case rep.Status == probes.OK && rep.Time.After(since):
					delete(want, rep.Host)
				case want[rep.Host] != "":
					want[rep.Host] = describe(rep)
				}
			case <-deadline:
				t.Fatalf("hosts not OK: %v", want)
			}
		}
	}
	okSince(time.Time{}, hostNames(cfg)...)
	start := time.Now()
	l.NetPartition(t, jump)
	jumpName := l.Host(jump).Name
	named := map[string]time.Duration{}
	// jumpDown is the time of the jump host's own first CRIT report: from
	// then on its state is known, and every report of a host behind it
	// made later names it (the root-cause rule's lostWhy). A report made
	// within lostWhyGap of it may have read the state just before.
	const lostWhyGap = 100 * time.Millisecond
	var jumpDown time.Time
	deadline := time.Now().Add(30 * time.Second)
	for len(named) < len(behind) {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the partition, only %v named jump host %s", named, l.Host(jump).Name)
		}
		rep, at := waitFor(t, up, 20*time.Second, "hosts behind the jump naming it", func(probes.HostReport) bool { return true }, nil)
		ssh := checkOf(rep, hosts.CheckSSH)
		switch {
		case rep.Host == jumpName:
			if jumpDown.IsZero() && ssh.Status == probes.CRIT {
				jumpDown = rep.Time
				t.Logf("%s itself after %s: %s", rep.Host, at.Sub(start).Round(time.Millisecond), ssh.Summary)
			}
		case rep.Status == probes.OK:
		case ssh.Status == probes.CRIT && strings.Contains(ssh.Summary, "jump host "+jumpName):
			if _, seen := named[rep.Host]; !seen {
				named[rep.Host] = at.Sub(start)
				t.Logf("%s after %s: %s", rep.Host, at.Sub(start).Round(time.Millisecond), ssh.Summary)
			}
		case named[rep.Host] > 0:
			t.Errorf("after naming the jump host: %s", describe(rep))
		case !jumpDown.IsZero() && rep.Time.After(jumpDown.Add(lostWhyGap)):
			t.Errorf("made after %s was known down, without naming it: %s", jumpName, describe(rep))
		default:
			t.Logf("before %s was known down (%s): %s", jumpName, at.Sub(start).Round(time.Millisecond), describe(rep))
		}
	}
	l.NetHeal(t, jump)
	okSince(time.Now(), hostNames(cfg)...)
}

// jumpConfig is the lab inventory with the hosts numbered behind reached
// through the inventory host numbered jump.
func jumpConfig(t *testing.T, l *labtest.Lab, jump int, behind []int) *hosts.Config {
	t.Helper()
	data, err := os.ReadFile(l.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, n := range behind {
		line := `name = "` + l.Host(n).Name + `"`
		if !strings.Contains(text, line+"\n") {
			t.Fatalf("%s not in the lab inventory", l.Host(n).Name)
		}
		text = strings.Replace(text, line+"\n", line+"\njump = \""+l.Host(jump).Name+"\"\n", 1)
	}
	cfg, err := hosts.Load(l.WriteConfig(t, text))
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{l.Host(jump).Name: true}
	for _, n := range behind {
		keep[l.Host(n).Name] = true
	}
	var hs []hosts.Host
	for _, h := range cfg.Hosts {
		if keep[h.Name] {
			h.Checks = []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}
			hs = append(hs, h)
		}
	}
	cfg.Hosts = hs
	return cfg
}

func hostNames(cfg *hosts.Config) []string {
	var out []string
	for _, h := range cfg.Hosts {
		out = append(out, h.Name)
	}
	return out
}

// Scenario 7: sshd throttles new connections (MaxStartups 1: beyond one
// unauthenticated connection it drops new ones), and eight consoles connect
// to the same eight hosts at once. Dropped connections are retried with
// backoff (the pool's, then the scheduler's next probe) and every console
// sees every host OK.
func TestScenarioMaxStartupsThrottling(t *testing.T) {
	l := labtestRequire(t)
	var ns []int
	for n := firstHost; n <= lastHost; n++ {
		ns = append(ns, n)
		l.SshdMaxStartups(t, n, "1")
	}
	const consoles = 8
	var fleets []*fleet
	for range consoles {
		cfg := labConfig(t, l, ns...)
		for i := range cfg.Hosts {
			cfg.Hosts[i].ProbeInterval = 500 * time.Millisecond
		}
		fleets = append(fleets, newFleet(t, l, cfg))
	}
	// Every console's first round at once: up to 8 handshakes per console
	// and host count, against sshd's one.
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for _, f := range fleets {
		wg.Go(func() {
			for _, rep := range f.sched.Round(t.Context(), f.cfg.Hosts) {
				if causeOf(rep) == causeUnreachable {
					mu.Lock()
					refused++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	t.Logf("first rounds: %d of %d connections refused by the throttle", refused, consoles*len(ns))
	if refused == 0 {
		t.Errorf("no connection was throttled: the scenario did not happen")
	}
	for c, f := range fleets {
		f.run(t)
		wg.Go(func() {
			pending := map[string]string{}
			for _, h := range f.cfg.Hosts {
				pending[h.Name] = "no report"
			}
			timeout := time.After(60 * time.Second)
			for len(pending) > 0 {
				select {
				case rep := <-f.sched.Updates():
					if rep.Status == probes.OK {
						delete(pending, rep.Host)
					} else {
						pending[rep.Host] = describe(rep)
					}
				case <-timeout:
					t.Errorf("console %d: hosts never OK under throttling: %v", c, pending)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d consoles x %d hosts all OK %s after the first connection attempts",
		consoles, len(ns), time.Since(start).Round(time.Millisecond))
}
