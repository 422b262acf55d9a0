package serve

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// TestDomainSeriesCap pins the per-VM series of a host above and below
// [serve] max_domain_series: VMs not OK, then not running, keep their
// series first; hvconsole_domains_omitted counts the rest; hvconsole_vms
// counts every VM. Remote names that would break the exposition (a name
// twice, invalid UTF-8) do not.
func TestDomainSeriesCap(t *testing.T) {
	vms := []probes.VM{
		{Name: "web1", State: "running"}, {Name: "web2", State: "running"},
		{Name: "db", State: "crashed", Status: probes.CRIT}, {Name: "old", State: "shutoff"},
		{Name: "web1", State: "running"}, {Name: "bad\xff", State: "paused", Status: probes.WARN},
	}
	rep := report("kvm1", t0, map[string]probes.Status{hosts.CheckVMs: probes.CRIT}, vms...)
	h := hosts.Host{Name: "kvm1", Hypervisor: hosts.KindLibvirt, Checks: []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}}
	states := head(famDomainState)
	omitted := head(famDomainsOmitted)
	vmCounts := head(famVMs) + `hvconsole_vms{a="x",host="kvm1",state="running"} 3
hvconsole_vms{a="x",host="kvm1",state="paused"} 1
hvconsole_vms{a="x",host="kvm1",state="shutoff"} 1
hvconsole_vms{a="x",host="kvm1",state="crashed"} 1
`
	for _, tc := range []struct {
		max  int
		want string
	}{
		{2, states + `hvconsole_domain_state{a="x",domain="db",host="kvm1",state="crashed"} 1
hvconsole_domain_state{a="x",domain="bad` + "\uFFFD" + `",host="kvm1",state="paused"} 1
` + omitted + `hvconsole_domains_omitted{a="x",host="kvm1"} 3
`},
		{3, states + `hvconsole_domain_state{a="x",domain="db",host="kvm1",state="crashed"} 1
hvconsole_domain_state{a="x",domain="bad` + "\uFFFD" + `",host="kvm1",state="paused"} 1
hvconsole_domain_state{a="x",domain="old",host="kvm1",state="shutoff"} 1
` + omitted + `hvconsole_domains_omitted{a="x",host="kvm1"} 2
`},
		{5, states + `hvconsole_domain_state{a="x",domain="db",host="kvm1",state="crashed"} 1
hvconsole_domain_state{a="x",domain="bad` + "\uFFFD" + `",host="kvm1",state="paused"} 1
hvconsole_domain_state{a="x",domain="old",host="kvm1",state="shutoff"} 1
hvconsole_domain_state{a="x",domain="web1",host="kvm1",state="running"} 1
hvconsole_domain_state{a="x",domain="web2",host="kvm1",state="running"} 1
`},
		{0, omitted + `hvconsole_domains_omitted{a="x",host="kvm1"} 5
`},
	} {
		t.Run(fmt.Sprintf("max=%d", tc.max), func(t *testing.T) {
			fleet := newFleetState([]hosts.Host{h}, newSeriesBuilder(map[string]string{"a": "x"}, tc.max))
			fleet.put(rep)
			if diff := cmp.Diff(tc.want+vmCounts, exposition(t, fleet, "hvconsole_domain_state",
				"hvconsole_domains_omitted", "hvconsole_vms")); diff != "" {
				t.Errorf("series (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVMCountsBounded: a host that names its own VM states (Hyper-V) gets
// at most maxOtherStates of them in hvconsole_vms; the rest count as other.
func TestVMCountsBounded(t *testing.T) {
	var vms []probes.VM
	for i := range maxOtherStates + 2 {
		vms = append(vms, probes.VM{Name: fmt.Sprintf("vm%d", i), State: fmt.Sprintf("word%02d", i)})
	}
	h := hosts.Host{Name: "hv1", Hypervisor: hosts.KindHyperV, Checks: []string{hosts.CheckSSH, hosts.CheckVMs}}
	fleet := newFleetState([]hosts.Host{h}, newSeriesBuilder(nil, 0))
	fleet.put(report("hv1", t0, nil, vms...))
	want := head(famVMs) +
		`hvconsole_vms{host="hv1",state="running"} 0` + "\n"
	for i := range maxOtherStates {
		want += fmt.Sprintf(`hvconsole_vms{host="hv1",state="word%02d"} 1`+"\n", i)
	}
	want += `hvconsole_vms{host="hv1",state="other"} 2` + "\n"
	if diff := cmp.Diff(want, exposition(t, fleet, "hvconsole_vms")); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// TestHostSeries pins every series of a host: one per check (its current
// status), no zero-valued state series, and the host's series replaced
// by its next report and dropped when a reload removes it.
func TestHostSeries(t *testing.T) {
	hs := []hosts.Host{
		{Name: "kvm1", Hypervisor: hosts.KindLibvirt, Checks: []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}},
		{Name: "kvm2", Hypervisor: hosts.KindLibvirt, Checks: []string{hosts.CheckSSH}},
		{Name: "kvm3", Hypervisor: hosts.KindLibvirt, Checks: []string{hosts.CheckSSH}},
	}
	fleet := newFleetState(hs, newSeriesBuilder(nil, hosts.DefaultMaxDomainSeries))
	fleet.put(report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT}))
	kvm2 := report("kvm2", t0, nil)
	kvm2.Checks = kvm2.Checks[:1]
	fleet.put(kvm2)
	fleet.put(report("kvm1", t0.Add(time.Second), nil, probes.VM{Name: "web", State: "running"}))
	want := head(famCheckStatus) + `hvconsole_check_status{check="ssh",host="kvm1",status="OK"} 1
hvconsole_check_status{check="hypervisor",host="kvm1",status="OK"} 1
hvconsole_check_status{check="vms",host="kvm1",status="OK"} 1
hvconsole_check_status{check="ssh",host="kvm2",status="OK"} 1
` + head(famDomainState) + `hvconsole_domain_state{domain="web",host="kvm1",state="running"} 1
` + head(famHostUp) + `hvconsole_host_up{host="kvm1"} 1
hvconsole_host_up{host="kvm2"} 1
` + head(famHypervisorUp) + `hvconsole_hypervisor_up{host="kvm1",hypervisor="libvirt"} 1
` + head(famLastReport) + `hvconsole_last_report_timestamp_seconds{host="kvm1"} 1.795748401e+09
hvconsole_last_report_timestamp_seconds{host="kvm2"} 1.7957484e+09
` + head(famProbeDuration) + `hvconsole_probe_duration_seconds{host="kvm1"} 0
hvconsole_probe_duration_seconds{host="kvm2"} 0
` + head(famVMs) + `hvconsole_vms{host="kvm1",state="running"} 1
`
	if diff := cmp.Diff(want, exposition(t, fleet)); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	fleet.setHosts(hs[1:])
	if n := len(fleet.allSeries()); n != 1 {
		t.Errorf("after removing kvm1: %d hosts with series, want 1 (kvm2; kvm3 never reported)", n)
	}
}

// exposition is the fleet's series in the text format, in the order a
// scrape sends them: every family, or those named.
func exposition(t *testing.T, fleet *fleetState, names ...string) string {
	t.Helper()
	mfs, done, err := fleetGatherer{fleet}.Gather()
	defer done()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		if len(names) == 0 || slices.Contains(names, mf.GetName()) {
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.String()
}

// head is the HELP and TYPE lines of a family's exposition.
func head(f family) string {
	return "# HELP " + families[f].name + " " + families[f].help + "\n# TYPE " + families[f].name + " gauge\n"
}

// TestPoolSeriesRemoteNames: a pool name the host sends twice gives one
// series (the first), an invalid UTF-8 name a valid label value, and a
// pool without a capacity or with an error none.
func TestPoolSeriesRemoteNames(t *testing.T) {
	rep := report("kvm1", t0, nil)
	rep.Pools = []probes.Pool{
		{Name: "default", Capacity: 400, Allocation: 100}, {Name: "default", Capacity: 400, Allocation: 300},
		{Name: "raw\xff", Capacity: 10, Allocation: 5}, {Name: "empty"},
		{Name: "broken", Capacity: 10, Err: fmt.Errorf("no answer")},
	}
	fleet := newFleetState([]hosts.Host{{Name: "kvm1", Hypervisor: hosts.KindLibvirt, Checks: []string{hosts.CheckSSH}}},
		newSeriesBuilder(nil, hosts.DefaultMaxDomainSeries))
	fleet.put(rep)
	want := head(famPoolFill) + `hvconsole_storage_pool_fill_ratio{host="kvm1",pool="default"} 0.25
hvconsole_storage_pool_fill_ratio{host="kvm1",pool="raw` + "\uFFFD" + `"} 0.5
`
	if diff := cmp.Diff(want, exposition(t, fleet, "hvconsole_storage_pool_fill_ratio")); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// TestWholeGauges pins which values share a gauge: the whole numbers from 0
// to maxSharedGauge, one gauge per value for every host's series (they are
// never changed once built); any other value (a fraction, a negative, -0,
// NaN, infinities, a large count) has a gauge of its own, so its exposition
// is the value itself.
func TestWholeGauges(t *testing.T) {
	b := newSeriesBuilder(nil, hosts.DefaultMaxDomainSeries)
	for _, v := range []float64{0, 1, 7, maxSharedGauge} {
		g := b.wholeGauge(v)
		if g == nil || g.GetValue() != v {
			t.Fatalf("wholeGauge(%v) = %v, want a gauge of %v", v, g, v)
		}
		if again := b.wholeGauge(v); again != g {
			t.Errorf("wholeGauge(%v) twice gave two gauges", v)
		}
	}
	for _, v := range []float64{0.5, -1, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), maxSharedGauge + 1, 1e9} {
		if g := b.wholeGauge(v); g != nil {
			t.Errorf("wholeGauge(%v) = %v, want none (a gauge of its own)", v, g.GetValue())
		}
	}
	// Two hosts' series: the shared values are one object, the others each
	// host's own and right.
	rep1 := report("kvm1", t0, nil, probes.VM{Name: "web", State: "running"})
	rep2 := report("kvm2", t0.Add(time.Second), nil, probes.VM{Name: "db", State: "running"})
	h := hosts.Host{Hypervisor: hosts.KindLibvirt, Checks: []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}}
	h.Name = "kvm1"
	s1 := b.build(h, rep1)
	h.Name = "kvm2"
	s2 := b.build(h, rep2)
	up1, up2 := s1.family(famHostUp)[0].GetGauge(), s2.family(famHostUp)[0].GetGauge()
	if up1 != up2 || up1.GetValue() != 1 {
		t.Errorf("host up gauges %p (%v) and %p (%v): want one shared gauge of 1", up1, up1.GetValue(), up2, up2.GetValue())
	}
	last1, last2 := s1.family(famLastReport)[0].GetGauge(), s2.family(famLastReport)[0].GetGauge()
	if last1 == last2 || last1.GetValue() != float64(t0.Unix()) || last2.GetValue() != float64(t0.Unix()+1) {
		t.Errorf("last report gauges %v and %v: want each host's own time", last1.GetValue(), last2.GetValue())
	}
}

// TestVMSeriesOnlyFromAListRead: a host whose VM list could not be read in
// its round (the vms check UNKNOWN, or the last list carried for the
// console's blast radius) has no VM series at all, not hvconsole_vms
// {state="running"} 0; a list read, even with a VM in trouble, has them.
func TestVMSeriesOnlyFromAListRead(t *testing.T) {
	h := hosts.Host{Name: "kvm1", Hypervisor: hosts.KindLibvirt, Checks: []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}}
	web := probes.VM{Name: "web", State: "running"}
	unread := report("kvm1", t0, map[string]probes.Status{hosts.CheckSSH: probes.CRIT, hosts.CheckVMs: probes.UNKNOWN})
	stale := report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT, hosts.CheckVMs: probes.UNKNOWN}, web)
	stale.VMsAsOf = t0.Add(-time.Minute)
	crashed := report("kvm1", t0, map[string]probes.Status{hosts.CheckVMs: probes.CRIT},
		web, probes.VM{Name: "db", State: "crashed", Status: probes.CRIT})
	for _, tc := range []struct {
		name string
		rep  probes.HostReport
		want string
	}{
		{"unreachable, no list", unread, ""},
		{"the last list, carried", stale, ""},
		{"a list read, a VM crashed", crashed, head(famDomainState) +
			`hvconsole_domain_state{domain="db",host="kvm1",state="crashed"} 1
hvconsole_domain_state{domain="web",host="kvm1",state="running"} 1
` + head(famVMs) + `hvconsole_vms{host="kvm1",state="running"} 1
hvconsole_vms{host="kvm1",state="crashed"} 1
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fleet := newFleetState([]hosts.Host{h}, newSeriesBuilder(nil, hosts.DefaultMaxDomainSeries))
			fleet.put(tc.rep)
			if diff := cmp.Diff(tc.want, exposition(t, fleet, "hvconsole_vms", "hvconsole_domain_state",
				"hvconsole_domains_omitted")); diff != "" {
				t.Errorf("VM series (-want +got):\n%s", diff)
			}
		})
	}
}
