package probes

import (
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
)

// The resources and storage checks run in the scheduler's round and fill
// the report's figures.
func TestLabRoundResourcesAndStorage(t *testing.T) {
	_, s, hs := labFleet(t, resourcesLabHost)
	h := hs[0]
	h.Checks = []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckResources, hosts.CheckStorage}
	h.ImagePaths = []string{"/var/lib/libvirt"}
	h.LoadPerCPUWarn = 1000 // the shared machine's load is not this test's subject
	rep := s.Round(t.Context(), []hosts.Host{h})[0]
	for _, c := range []string{hosts.CheckResources, hosts.CheckStorage} {
		r, ok := rep.Check(c)
		if !ok || r.Status != OK {
			t.Fatalf("%s = %v %q\n%s", c, r.Status, r.Summary, r.Details)
		}
	}
	if rep.Resources == nil || rep.Resources.MemTotal == 0 || rep.Resources.CPUs == 0 || len(rep.Resources.Disks) != 1 {
		t.Fatalf("report figures = %+v", rep.Resources)
	}
}
