package simfleet

import "time"

// The demo's cadences are per host: each host costs one SSH keepalive round
// trip per keepalive_interval, one fresh handshake per host_key_recheck and
// one backups exec per backup_interval. The interactive demo's values (1 s,
// 10 s so a 30 s key-change incident is seen, 20 s so a stale backup shows
// within a timeline loop) are kept for small fleets; above that each grows
// with the fleet so that it asks for at most maxKeepalives, maxRechecks
// and maxBackupRuns a second: at 10,000 hosts and the small values that
// would be 10,000 keepalives, 1,000 handshakes and 500 execs a second, more
// than the simulated fleet and the console together can serve on a small
// machine (the README's scale section measures what each costs).
//
// The SSH keepalive's budget is the smallest: each round trip costs the
// console about 0.3 ms of CPU at rest on this 2-core machine (0.15 ms in
// the profile; the rest the kernel's side of its system calls), the
// simulated host about as much, and a dead link no longer waits for it.
// The kernel's TCP keepalive (tcp_keepalive: the kernel sends and answers
// its probes, no process wakes) ends a dead direct connection seconds
// after its last packet whatever keepalive_interval is; the SSH keepalive
// then only has to catch an sshd frozen while its kernel still answers
// (which the demo never stages, and which a running probe finds by its
// deadline anyway). So it grows from 25 hosts on: 40 s at 1,000 hosts,
// 400 s at 10,000, 25 round trips a second (~1% of a core; 50 a second
// measured 1.3-2.2% at rest, on the edge of issue 14's 2%).
//
// The kernel's probes are not free either, only charged to no process:
// softirq time, about 0.6-1.5 us per probe and its answer with both ends
// on this machine (the scale benchmark's rest window at 10,000 hosts with
// tcp_keepalive 2 s and off: ~5,300 probes a second more, 0.3-0.8% of a
// core more softirq, the same process CPU). tcp_keepalive therefore stays
// 1 s up to maxTCPProbes hosts and grows above them (2 s at 10,000: a dead
// link found ~14 s after its last packet).
const (
	maxKeepalives = 25
	maxTCPProbes  = 5000
	maxRechecks   = 100
	maxBackupRuns = 50
)

// Cadences are the demo config's per-host intervals for a fleet.
type Cadences struct {
	Keepalive, KeyRecheck, Backups time.Duration
	TCPKeepalive                   time.Duration // whole seconds, as tcp_keepalive must be
}

// CadencesFor returns the intervals for a fleet of n hosts.
func CadencesFor(n int) Cadences {
	at := func(base time.Duration, perSecond int) time.Duration {
		return max(base, time.Duration(n)*time.Second/time.Duration(perSecond))
	}
	return Cadences{
		Keepalive:  at(time.Second, maxKeepalives),
		KeyRecheck: at(10*time.Second, maxRechecks),
		Backups:    at(20*time.Second, maxBackupRuns),
		// rounded up to whole seconds: the kernel counts in seconds
		TCPKeepalive: (at(time.Second, maxTCPProbes) + time.Second - 1).Truncate(time.Second),
	}
}
