package labtest

import (
	"strings"
	"testing"
)

// TestHyperV installs a scenario on host 24 (the Hyper-V lab host) and
// checks that the host's /srv/hyperv holds it, that a subtest's scenario is
// replaced by the healthy one when the subtest ends, and that an unknown
// scenario is refused.
func TestHyperV(t *testing.T) {
	lab := Require(t)
	const n = 24
	if !lab.Has(n) {
		t.Skipf("lab has %d hosts; the Hyper-V round trip needs host %d", lab.Len(), n)
	}
	vmms := func() string {
		return lab.Exec(t, n, "cat", "/srv/hyperv/hypervisor.json")
	}
	t.Run("vmms stopped", func(t *testing.T) {
		lab.HyperV(t, n, HyperVVMMSStopped)
		if got := vmms(); !strings.Contains(got, `{"Name":"vmms","Status":"Stopped"`) {
			t.Errorf("hypervisor.json of %s: %s", HyperVVMMSStopped, got)
		}
	})
	if got := vmms(); !strings.Contains(got, `{"Name":"vmms","Status":"Running"`) {
		t.Errorf("after the subtest's cleanup hypervisor.json is %s, want the healthy one", got)
	}
	if _, err := lab.Run(t.Context(), "hyperv", "24", "no-such-scenario"); err == nil {
		t.Error("lab.sh hyperv accepted an unknown scenario")
	}
}
