package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// timesFailed is systemctl show's answer for a unit that failed 60.41 s
// before the host's uptime was read (see remote's TestParseUnitTimes).
const timesFailed = "7260.51 14220.03\n" +
	"InactiveEnterTimestampMonotonic=7200400000\n" +
	"ActiveExitTimestampMonotonic=7200100000\n"

// A dead daemon's hypervisor check carries the host's own time of the
// failure (its unit's stamp against its own clock, whatever its wall clock
// says); a host that cannot say leaves Since zero ("seen since").
func TestHypervisorSinceFromHost(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timesOut string
		want     time.Duration // before the probe; 0 = unknown
	}{
		{"host knows", timesFailed, 60410 * time.Millisecond},
		{"no systemctl show", "", 0},
		{"garbage", "\x1b[2Jhello\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fh := healthyHost()
			fh.lv.callErr = errLibvirtdDown
			fh.units = []string{"failed"}
			fh.timesOut = tc.timesOut
			c := &clock{t: time.Date(2026, 11, 27, 2, 16, 40, 0, time.UTC)}
			cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{Now: c.now})
			defer s.Close()
			rep := s.Round(t.Context(), cfg.Hosts)[0]
			wantCheck(t, rep, "hypervisor", CRIT, "libvirtd failed")
			hv := checkOf(t, rep, "hypervisor")
			var want time.Time
			if tc.want > 0 {
				want = c.now().Add(-tc.want)
			}
			if !hv.Since.Equal(want) {
				t.Errorf("Since %v, want %v", hv.Since, want)
			}
			if script, _ := fh.lastScript.Load().(string); !strings.Contains(script, mustTimesCmd(t)) {
				t.Errorf("the probe did not ask for the unit times: %q", script)
			}
		})
	}
}

func mustTimesCmd(t *testing.T) string {
	t.Helper()
	cmd, err := remote.UnitTimesCommand([]string{"libvirtd"})
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}
