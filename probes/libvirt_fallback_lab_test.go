package probes

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
)

// Through the scheduler, a host whose sshd refuses socket forwarding gets
// the same statuses and VMs as a normal host, read by virsh, and says so.
func TestLabSchedulerVirshFallback(t *testing.T) {
	l, s, hs := labFleet(t, 5)
	if !l.Has(labNoForward) {
		t.Skipf("lab has no host %d (lab.sh up 26)", labNoForward)
	}
	_, s25, hs25 := labFleet(t, labNoForward)
	normal := s.Round(t.Context(), hs)[0]
	for round := 1; round <= 2; round++ { // the second round goes straight to virsh
		got := s25.Round(t.Context(), hs25)[0]
		if got.Status != normal.Status {
			t.Fatalf("round %d: host %d is %s, a normal host %s: %+v", round, labNoForward, got.Status, normal.Status, got.Checks)
		}
		for _, c := range []string{hosts.CheckHypervisor, hosts.CheckVMs} {
			r, _ := got.Check(c)
			if r.Status != OK || !strings.Contains(r.Details, viaVirsh) {
				t.Fatalf("round %d: %s = %s %q, details %q; want OK via virsh", round, c, r.Status, r.Summary, r.Details)
			}
		}
		if diff := cmp.Diff(normal.VMs, got.VMs); diff != "" {
			t.Fatalf("round %d: VMs differ from the tunnel's (-tunnel +virsh):\n%s", round, diff)
		}
		if got.Version != normal.Version {
			t.Errorf("version %q, tunnel gives %q", got.Version, normal.Version)
		}
	}
}
