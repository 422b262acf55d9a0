package simfleet

import (
	"strings"
	"testing"
	"time"
)

// The interactive demo's cadences hold for small fleets (SSH keepalives up
// to 25 hosts, key re-checks and backups up to 1,000, TCP keepalives up to
// 5,000); a larger fleet asks for no more SSH keepalives (25), handshakes
// (100), backup execs (50) and kernel keepalive probes (5,000) a second.
func TestCadencesFor(t *testing.T) {
	for _, c := range []struct {
		hosts int
		want  Cadences
	}{
		{1, Cadences{time.Second, 10 * time.Second, 20 * time.Second, time.Second}},
		{25, Cadences{time.Second, 10 * time.Second, 20 * time.Second, time.Second}},
		{1000, Cadences{40 * time.Second, 10 * time.Second, 20 * time.Second, time.Second}},
		{5000, Cadences{200 * time.Second, 50 * time.Second, 100 * time.Second, time.Second}},
		{7500, Cadences{300 * time.Second, 75 * time.Second, 150 * time.Second, 2 * time.Second}}, // 1.5 s rounded up
		{10000, Cadences{400 * time.Second, 100 * time.Second, 200 * time.Second, 2 * time.Second}},
	} {
		if got := CadencesFor(c.hosts); got != c.want {
			t.Errorf("CadencesFor(%d) = %+v, want %+v", c.hosts, got, c.want)
		}
	}
	// a process serving half of a 10,000-host fleet (FleetHosts) writes the
	// whole fleet's cadences, as one serving all of it does
	for _, spec := range []ConfigSpec{{Hosts: make([]HostSpec, 10000)}, {Hosts: make([]HostSpec, 5000), FleetHosts: 10000}} {
		text := renderConfig(spec)
		for _, line := range []string{`keepalive_interval = "6m40s"`, `tcp_keepalive = "2s"`, `host_key_recheck = "1m40s"`, `backup_interval = "3m20s"`} {
			if !strings.Contains(text, line+"\n") {
				t.Errorf("the config of %d of %d hosts lacks %s", len(spec.Hosts), spec.FleetHosts, line)
			}
		}
	}
}
