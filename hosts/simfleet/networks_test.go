package simfleet

import (
	"errors"
	"testing"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"
)

// testNetworks gives h three networks covering every flag combination the
// list filters look at.
func testNetworks(h *Host) []network {
	nets := []network{
		{name: "default", active: true, autostart: true},
		{name: "isolated"},
		{name: "lab", active: true},
	}
	for i := range nets {
		nets[i].uuid[0], nets[i].uuid[15] = byte(i+1), 0xaa
	}
	h.w.networks = nets
	return nets
}

func TestNetworksOverLibvirt(t *testing.T) {
	h := newTestHost(t, 5)
	nets := testNetworks(h)
	l := connectPipe(t, h)
	pick := func(idx ...int) []libvirt.Network {
		var out []libvirt.Network
		for _, i := range idx {
			out = append(out, libvirt.Network{Name: nets[i].name, UUID: nets[i].uuid})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		flags libvirt.ConnectListAllNetworksFlags
		want  []libvirt.Network
	}{
		{"all", 0, pick(0, 1, 2)},
		{"active", libvirt.ConnectListNetworksActive, pick(0, 2)},
		{"inactive", libvirt.ConnectListNetworksInactive, pick(1)},
		{"active and inactive", libvirt.ConnectListNetworksActive | libvirt.ConnectListNetworksInactive, pick(0, 1, 2)},
		{"autostart", libvirt.ConnectListNetworksAutostart, pick(0)},
		{"no autostart", libvirt.ConnectListNetworksNoAutostart, pick(1, 2)},
		{"active without autostart", libvirt.ConnectListNetworksActive | libvirt.ConnectListNetworksNoAutostart, pick(2)},
		{"persistent", libvirt.ConnectListNetworksPersistent, pick(0, 1, 2)},
		{"transient", libvirt.ConnectListNetworksTransient, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := l.ConnectListAllNetworks(1, tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || int(n) != len(tc.want) {
				t.Errorf("ConnectListAllNetworks count %d (-want +got):\n%s", n, diff)
			}
		})
	}
	t.Run("count only", func(t *testing.T) {
		got, n, err := l.ConnectListAllNetworks(0, 0)
		if err != nil || len(got) != 0 || int(n) != len(nets) {
			t.Errorf("ConnectListAllNetworks(0) = %d networks, count %d, %v; want 0, %d", len(got), n, err, len(nets))
		}
	})
	t.Run("flags", func(t *testing.T) { checkNetworkFlags(t, l, h) })
	t.Run("missing network", func(t *testing.T) {
		_, err := l.NetworkIsActive(libvirt.Network{Name: "ghost"})
		var le libvirt.Error
		if !errors.As(err, &le) || le.Code != uint32(libvirt.ErrNoNetwork) {
			t.Errorf("NetworkIsActive(ghost) = %v, want ErrNoNetwork", err)
		}
		_, err = l.NetworkGetAutostart(libvirt.Network{Name: "ghost"})
		if !errors.As(err, &le) || le.Code != uint32(libvirt.ErrNoNetwork) {
			t.Errorf("NetworkGetAutostart(ghost) = %v, want ErrNoNetwork", err)
		}
	})
	t.Run("network stopped", func(t *testing.T) {
		if err := h.SetNetworkActive("default", false); err != nil {
			t.Fatal(err)
		}
		checkNetworkFlags(t, l, h)
		if got, _, err := l.ConnectListAllNetworks(1, libvirt.ConnectListNetworksInactive); err != nil || len(got) != 2 {
			t.Errorf("inactive networks after the stop = %v, %v", got, err)
		}
		if err := h.SetNetworkActive("nowhere", true); !errors.Is(err, ErrNoNetwork) {
			t.Errorf("SetNetworkActive(nowhere) = %v, want ErrNoNetwork", err)
		}
	})
}

// checkNetworkFlags compares NetworkIsActive and NetworkGetAutostart of
// every listed network with the host's snapshot.
func checkNetworkFlags(t *testing.T, l *libvirt.Libvirt, h *Host) {
	t.Helper()
	nets, _, err := l.ConnectListAllNetworks(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []NetworkState
	for _, n := range nets {
		active, err := l.NetworkIsActive(n)
		if err != nil {
			t.Fatalf("NetworkIsActive(%s): %v", n.Name, err)
		}
		auto, err := l.NetworkGetAutostart(n)
		if err != nil {
			t.Fatalf("NetworkGetAutostart(%s): %v", n.Name, err)
		}
		got = append(got, NetworkState{n.Name, active == 1, auto == 1})
	}
	if diff := cmp.Diff(h.Snapshot().Networks, got); diff != "" {
		t.Errorf("network flags (-snapshot +libvirt):\n%s", diff)
	}
}

func TestGeneratedNetworks(t *testing.T) {
	counts := map[int]int{}
	for idx := range 20 {
		nets := newNetworks(3, idx)
		if diff := cmp.Diff(nets, newNetworks(3, idx), cmp.AllowUnexported(network{})); diff != "" {
			t.Fatalf("host %d: same seed, different networks:\n%s", idx, diff)
		}
		counts[len(nets)]++
		if n := nets[0]; n.name != "default" || !n.active || !n.autostart {
			t.Errorf("host %d: first network %+v, want default, active, autostart", idx, n)
		}
		for _, n := range nets[1:] {
			if n.active || n.autostart || n.uuid == nets[0].uuid {
				t.Errorf("host %d: extra network %+v, want inactive, manual, own UUID", idx, n)
			}
		}
	}
	if counts[1] == 0 || counts[2] == 0 || len(counts) != 2 {
		t.Errorf("network counts over 20 hosts: %v, want some hosts with 1 and some with 2", counts)
	}
}
