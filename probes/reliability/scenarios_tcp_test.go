package reliability

import (
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// Scenario 3b: a partition found by the kernel's TCP keepalive alone. With
// SSH keepalives an hour apart (what a large fleet may choose, README
// "Scale") and tcp_keepalive at its default, the partition still ends the
// connection, and the host is reported as a missed SSH keepalive reports
// it: CRIT "unreachable: ssh connection lost", with no report before it
// blaming anything else (not the hypervisor, not "connection timed out").
// The wait is bounded; how long it took is logged.
func TestScenarioPartitionTCPKeepalive(t *testing.T) {
	const n = 39 // TestScenarioPartition's host: this package's tests run one at a time
	l := labtestRequire(t)
	cfg := labConfig(t, l, n)
	if cfg.TCPKeepalive != hosts.DefaultTCPKeepalive {
		t.Fatalf("tcp_keepalive %s, want the default", cfg.TCPKeepalive)
	}
	cfg.KeepaliveInterval = time.Hour
	f := newFleet(t, l, cfg)
	f.run(t)
	up := f.sched.Updates()
	waitFor(t, up, 30*time.Second, "OK", func(r probes.HostReport) bool { return r.Status == probes.OK }, nil)
	start := time.Now()
	l.NetPartition(t, n)
	rep, at := waitUnreachable(t, up, 30*time.Second)
	t.Logf("partitioned: %s after %s", describe(rep), at.Sub(start).Round(time.Millisecond))
	if !hasCheck(rep, hosts.CheckSSH, probes.CRIT, "unreachable: ssh connection lost") {
		t.Errorf("the link's loss reads %q, want the keepalive's %q",
			checkOf(rep, hosts.CheckSSH).Summary, "unreachable: ssh connection lost")
	}
}
