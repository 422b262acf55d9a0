package probes

import (
	"errors"
	"fmt"
	"testing"

	"github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// threeDoms is a world with a domain in each rated state.
func threeDoms() []fakeDom {
	return []fakeDom{
		{name: "web", state: int32(libvirt.DomainRunning), reason: int32(libvirt.DomainRunningBooted), autostart: true},
		{name: "db", state: int32(libvirt.DomainPaused), reason: int32(libvirt.DomainPausedUser)},
		{name: "old", state: int32(libvirt.DomainShutoff), reason: int32(libvirt.DomainShutoffCrashed), autostart: true},
	}
}

// The VM list is the same from the domain statistics as from one state
// and flag call per domain (a daemon without statistics), and a steady
// round asks a host with statistics five times whatever its number of
// domains and networks: the autostart domains, every domain's state, and
// three network lists; the versions are not asked again.
func TestVMsFromDomainStats(t *testing.T) {
	want := []VM{
		{Name: "db", State: "paused", Reason: "user", Status: OK},
		{Name: "old", State: "shutoff", Reason: "crashed", Autostart: true, Status: CRIT},
		{Name: "web", State: "running", Reason: "booted", Autostart: true, Status: OK},
	}
	for _, c := range []struct {
		name      string
		noStats   bool
		wantCalls int64
	}{
		{"statistics", false, 5},
		{"per domain", true, 1 + 2*3 + 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			fh := healthyHost()
			fh.lv.doms, fh.lv.noStats = threeDoms(), c.noStats
			fh.lv.nets = []fakeNet{{"default", true, true}, {"lab", false, false}}
			cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
			defer s.Close()
			for round := range 2 {
				before := fh.lv.calls.Load()
				rep := s.Round(t.Context(), cfg.Hosts)[0]
				if diff := cmp.Diff(want, rep.VMs); diff != "" {
					t.Errorf("round %d VMs (-want +got):\n%s", round, diff)
				}
				wantCheck(t, rep, "hypervisor", OK, "libvirt 9.0.0, QEMU 8.2.0")
				wantCheck(t, rep, "vms", CRIT, "3 VMs")
				if n := fh.lv.calls.Load() - before; round == 1 && n != c.wantCalls {
					t.Errorf("a steady round made %d libvirt calls, want %d", n, c.wantCalls)
				}
			}
		})
	}
}

// The versions are read again every UnitEvery rounds; in between, the
// hypervisor check takes this round's answer from the domain list: a
// daemon that answers with an error of its own is up, one whose calls
// break is not.
func TestCachedVersionsFollowTheDomainList(t *testing.T) {
	fh := healthyHost()
	fh.lv.doms = threeDoms()
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{UnitEvery: 3})
	defer s.Close()
	round := func() HostReport { return s.Round(t.Context(), cfg.Hosts)[0] }
	round()
	fh.lv.mu.Lock()
	fh.lv.hvVer = 8002001
	fh.lv.callErr = libvirt.Error{Code: uint32(libvirt.ErrOperationInvalid), Message: "refused"}
	fh.lv.mu.Unlock()
	rep := round()
	wantCheck(t, rep, "hypervisor", OK, "QEMU 8.2.0")
	wantCheck(t, rep, "vms", UNKNOWN, "VM list unavailable")
	fh.lv.mu.Lock()
	fh.lv.callErr = errors.New("stream broken")
	fh.lv.mu.Unlock()
	if r := checkOf(t, round(), "hypervisor"); r.Status == OK {
		t.Errorf("hypervisor = OK %q with the domain list broken", r.Summary)
	}
	fh.lv.mu.Lock()
	fh.lv.callErr = nil
	fh.lv.mu.Unlock()
	wantCheck(t, round(), "hypervisor", OK, "QEMU 8.2.1") // round 3 after the read: asked again
}

// Statistics as go-libvirt decodes them from the wire, through the reply
// guard: each record's state.state and state.reason; a record without
// them has a state no daemon sends (UNKNOWN).
func TestVMsFromDomainStatsOnTheWire(t *testing.T) {
	w := healthyWire()
	w[wireConnectListAllDomains] = wireReply{body: xdrU32(wireDomain(xdrU32(nil, 1), "web"), 1)} // the autostart ones
	stats := xdrU32(nil, 3)
	stats = wireStateParams(wireDomain(stats, "web"), 1, 1)
	stats = wireStateParams(wireDomain(stats, "db"), 3, 1)
	stats = xdrU32(wireDomain(stats, "odd"), 0) // no parameters
	w[wireConnectGetAllDomStats] = wireReply{body: stats}
	fh := healthyHost()
	fh.daemon = serveWire(w)
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	s.open = openLibvirt // the production go-libvirt client
	defer s.Close()
	rep := s.Round(t.Context(), cfg.Hosts)[0]
	want := []VM{
		{Name: "db", State: "paused", Reason: "user", Status: OK},
		{Name: "odd", State: "state-unreported", Status: UNKNOWN},
		{Name: "web", State: "running", Reason: "booted", Autostart: true, Status: OK},
	}
	if diff := cmp.Diff(want, rep.VMs); diff != "" {
		t.Errorf("VMs (-want +got):\n%s", diff)
	}
}

// wireDomain appends remote_nonnull_domain {name, uuid, id}.
func wireDomain(b []byte, name string) []byte {
	return xdrU32(append(xdrStr(b, name), make([]byte, 16)...), 1)
}

// wireStateParams appends the state group: two int typed parameters.
func wireStateParams(b []byte, state, reason uint32) []byte {
	b = xdrU32(b, 2)
	b = xdrU32(xdrU32(xdrStr(b, "state.state"), 1), state)
	return xdrU32(xdrU32(xdrStr(b, "state.reason"), 1), reason)
}

// Domain statistics cost go-libvirt up to typedParamAllocFactor times
// their bytes, so their reply has a length bound of its own.
func TestDomainStatsReplyBound(t *testing.T) {
	for _, c := range []struct {
		records int
		ok      bool
	}{{1000, true}, {maxStatsReply / 40, false}} {
		body := xdrU32(nil, uint32(c.records))
		for range c.records {
			body = wireStateParams(wireDomain(body, "guest"), 1, 1)
		}
		var g replyGuard
		if err := g.sent(wirePacket(wireConnectGetAllDomStats, remote.MsgCall, 7, 0, nil)); err != nil {
			t.Fatal(err)
		}
		err := g.check(wirePacket(wireConnectGetAllDomStats, remote.MsgReply, 7, 0, body))
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, errMalformedReply)) {
			t.Errorf("%d records (%d bytes): check = %v, want ok %v", c.records, len(body), err, c.ok)
		}
	}
}

// manyDomains answers the domain list and statistics of n running domains.
type manyDomains struct {
	libvirtAPI
	n int
}

func (m manyDomains) domains() []libvirt.Domain {
	doms := make([]libvirt.Domain, m.n)
	for i := range doms {
		doms[i] = libvirt.Domain{Name: fmt.Sprintf("vm%05d", i), ID: int32(i)}
	}
	return doms
}

func (m manyDomains) ConnectListAllDomains(int32, libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error) {
	doms := m.domains()
	return doms, uint32(len(doms)), nil
}

func (m manyDomains) ConnectGetAllDomainStats([]libvirt.Domain, uint32, uint32) ([]libvirt.DomainStatsRecord, error) {
	var recs []libvirt.DomainStatsRecord
	for _, d := range m.domains() {
		recs = append(recs, libvirt.DomainStatsRecord{Dom: d, Params: []libvirt.TypedParam{
			{Field: "state.state", Value: *libvirt.NewTypedParamValueInt(int32(libvirt.DomainRunning))},
			{Field: "state.reason", Value: *libvirt.NewTypedParamValueInt(int32(libvirt.DomainRunningBooted))},
		}})
	}
	return recs, nil
}

func (m manyDomains) DomainGetState(libvirt.Domain, uint32) (int32, int32, error) {
	return int32(libvirt.DomainRunning), int32(libvirt.DomainRunningBooted), nil
}

func (m manyDomains) DomainGetAutostart(libvirt.Domain) (int32, error) { return 0, nil }

// Both ways of listing keep the first remote.MaxDomains domains of a
// daemon that lists more, and say the list was capped.
func TestVMListCapped(t *testing.T) {
	for _, n := range []int{remote.MaxDomains, remote.MaxDomains + 1} {
		for name, list := range map[string]func(libvirtAPI) (vmFacts, error){
			"statistics": listVMsByStats, "per domain": listVMsPerDomain,
		} {
			f, err := list(manyDomains{n: n})
			if err != nil || len(f.vms) != min(n, remote.MaxDomains) || f.capped != (n > remote.MaxDomains) {
				t.Errorf("%s, %d domains: %d VMs, capped %v, err %v", name, n, len(f.vms), f.capped, err)
			}
		}
	}
}

// A host with more domains than maxStatsReply holds keeps its session:
// its statistics become an error reply to go-libvirt, and the session
// lists its domains one by one from then on (this daemon lists none).
func TestDomainStatsTooLargeFallsBack(t *testing.T) {
	records := maxStatsReply/84 + 1 // wireDomain "guest" and the state group: 84 bytes each
	body := xdrU32(nil, uint32(records))
	for range records {
		body = wireStateParams(wireDomain(body, "guest"), 1, 1)
	}
	daemon := healthyWire()
	daemon[wireConnectGetAllDomStats] = wireReply{body: body}
	fh := healthyHost()
	fh.daemon = serveWire(daemon)
	cfg, _, s := fleet([]string{"hv1"}, []*fakeHost{fh}, SchedulerOptions{})
	s.open = openLibvirt // the production go-libvirt client and reply guard
	defer s.Close()
	for round := range 2 {
		rep := s.Round(t.Context(), cfg.Hosts)[0]
		wantCheck(t, rep, "hypervisor", OK, "libvirt 9.0.0")
		wantCheck(t, rep, "vms", OK, "")
		st := s.state("hv1")
		st.mu.Lock()
		sess := st.sess
		st.mu.Unlock()
		if round == 1 && sess == nil {
			t.Error("the session did not survive the statistics")
		}
	}
}
