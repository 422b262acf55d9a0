package probes

import (
	"strings"
	"testing"

	"github.com/digitalocean/go-libvirt"
)

func TestNetworksInVMsCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		nets    []fakeNet
		err     error
		st      Status
		sum     string
		details string
	}{
		{"none", nil, nil, OK, "1 VM: 1 running", "networks: none"},
		{"active autostart", []fakeNet{{"default", true, true}}, nil, OK, "1 VM: 1 running",
			"networks: default (active, autostart)"},
		{"inactive without autostart", []fakeNet{{"lab", false, false}}, nil, OK, "1 VM: 1 running",
			"networks: lab (inactive)"},
		{"autostart network down", []fakeNet{{"default", false, true}, {"b", true, false}}, nil, WARN,
			"1 VM: 1 running; 1 autostart network down (default)", "b (active), default (inactive, autostart)"},
		{"two down", []fakeNet{{"a", false, true}, {"b", false, true}}, nil, WARN,
			"2 autostart networks down (a, b)", ""},
		{"no network driver", nil, libvirt.Error{Code: 3, Message: "no network driver"}, OK, "1 VM: 1 running",
			"networks: unavailable (no network driver)"},
		{"unknown procedure", nil, libvirt.ErrUnsupported, OK, "1 VM", "networks: unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fh := healthyHost()
			fh.lv.doms = []fakeDom{{name: "web", state: int32(libvirt.DomainRunning)}}
			fh.lv.nets, fh.lv.netErr = tc.nets, tc.err
			cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
			defer s.Close()
			rep := s.Round(t.Context(), cfg.Hosts)[0]
			wantCheck(t, rep, "vms", tc.st, tc.sum)
			if d := checkOf(t, rep, "vms").Details; !strings.Contains(d, tc.details) {
				t.Errorf("details %q, want %q", d, tc.details)
			}
		})
	}
}
