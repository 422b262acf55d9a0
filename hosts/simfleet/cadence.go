package simfleet

import "time"

// The demo's cadences are per host: each host costs one SSH keepalive round
// trip per keepalive_interval, one fresh handshake per host_key_recheck and
// one backups exec per backup_interval. The interactive demo's values (1 s,
// 10 s so a 30 s key-change incident is seen, 20 s so a stale backup shows
// within a timeline loop) are kept up to 1,000 hosts; above that they grow
// with the fleet so that it asks for at most maxKeepalives, maxRechecks and
// maxBackupRuns a second: at 10,000 hosts and the small values that would
// be 10,000 keepalives, 1,000 handshakes and 500 execs a second, more than
// the simulated fleet and the console together can serve on a small
// machine (the README's scale section measures what each costs).
const (
	maxKeepalives = 1000
	maxRechecks   = 100
	maxBackupRuns = 50
)

// Cadences are the demo config's per-host intervals for a fleet.
type Cadences struct {
	Keepalive, KeyRecheck, Backups time.Duration
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
	}
}
