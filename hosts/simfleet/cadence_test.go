package simfleet

import (
	"strings"
	"testing"
	"time"
)

// The interactive demo's cadences hold up to 1,000 hosts; a larger fleet
// asks for no more keepalives, handshakes and backup execs a second than
// 1,000 hosts do.
func TestCadencesFor(t *testing.T) {
	for _, c := range []struct {
		hosts int
		want  Cadences
	}{
		{1, Cadences{time.Second, 10 * time.Second, 20 * time.Second}},
		{1000, Cadences{time.Second, 10 * time.Second, 20 * time.Second}},
		{5000, Cadences{5 * time.Second, 50 * time.Second, 100 * time.Second}},
		{10000, Cadences{10 * time.Second, 100 * time.Second, 200 * time.Second}},
	} {
		if got := CadencesFor(c.hosts); got != c.want {
			t.Errorf("CadencesFor(%d) = %+v, want %+v", c.hosts, got, c.want)
		}
	}
	text := renderConfig(ConfigSpec{Hosts: make([]HostSpec, 10000)})
	for _, line := range []string{`keepalive_interval = "10s"`, `host_key_recheck = "1m40s"`, `backup_interval = "3m20s"`} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("the 10,000-host config lacks %s", line)
		}
	}
}
