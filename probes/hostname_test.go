package probes

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// A daemon whose host-name lookup stalls (libvirt resolves the name with
// getaddrinfo, and DNS may hang) still gets a hypervisor OK within its
// deadline; the name shows once it answers.
func TestSlowHostnameDoesNotFailTheCheck(t *testing.T) {
	defer goleak.VerifyNone(t)
	fh := healthyHost()
	fh.lv.slowHostname = make(chan struct{})
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	defer s.Close()
	cfg.Hosts[0].ProbeTimeout = 5 * time.Second // well above hostnameWait

	rep := s.Round(t.Context(), cfg.Hosts)[0]
	hv := checkOf(t, rep, "hypervisor")
	if hv.Status != OK || strings.Contains(hv.Details, "hostname:") {
		t.Fatalf("with the name stalled: %v %q, details %q", hv.Status, hv.Summary, hv.Details)
	}
	close(fh.lv.slowHostname)
	deadline := time.Now().Add(10 * time.Second)
	for {
		hv = checkOf(t, s.Round(t.Context(), cfg.Hosts)[0], "hypervisor")
		if strings.Contains(hv.Details, "hostname: hv1") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the late host name never showed: %q", hv.Details)
		}
	}
}
