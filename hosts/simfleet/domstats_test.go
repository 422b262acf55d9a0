package simfleet

import (
	"testing"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"
)

// The domain statistics of the state group say what DomainGetState says
// of each domain, through go-libvirt's own decoder; the domain list filters
// on autostart.
func TestDomainStatsOverLibvirt(t *testing.T) {
	h := newTestHost(t, 7)
	l := connectPipe(t, h)
	doms, _, err := l.ConnectListAllDomains(1, 0)
	if err != nil || len(doms) < 3 {
		t.Fatalf("domains = %v, %v", doms, err)
	}
	recs, err := l.ConnectGetAllDomainStats(nil, uint32(libvirt.DomainStatsState), 0)
	if err != nil || len(recs) != len(doms) {
		t.Fatalf("stats = %d records, %v; want %d", len(recs), err, len(doms))
	}
	var wantAuto []string
	for i, d := range doms {
		state, reason, err := l.DomainGetState(d, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []libvirt.TypedParam{
			{Field: "state.state", Value: *libvirt.NewTypedParamValueInt(state)},
			{Field: "state.reason", Value: *libvirt.NewTypedParamValueInt(reason)},
		}
		if diff := cmp.Diff(want, recs[i].Params); diff != "" || recs[i].Dom != d {
			t.Errorf("%s: record %v (-want +got):\n%s", d.Name, recs[i].Dom, diff)
		}
		if auto, _ := l.DomainGetAutostart(d); auto != 0 {
			wantAuto = append(wantAuto, d.Name)
		}
	}
	auto, _, err := l.ConnectListAllDomains(1, libvirt.ConnectListDomainsAutostart)
	var got []string
	for _, d := range auto {
		got = append(got, d.Name)
	}
	if err != nil || !cmp.Equal(got, wantAuto) {
		t.Errorf("autostart domains = %v, %v; want %v", got, err, wantAuto)
	}
	if recs, err := l.ConnectGetAllDomainStats(doms[:1], uint32(libvirt.DomainStatsState), 0); err != nil ||
		len(recs) != 1 || recs[0].Dom != doms[0] {
		t.Errorf("stats of one named domain = %v, %v", recs, err)
	}
}
