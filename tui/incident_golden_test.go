package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

// Incident reports as the probes build them, for the golden views.

func keyMismatch(h hosts.Host, at time.Time) probes.HostReport {
	r := probes.HostReport{Host: h.Name, Address: h.Address, Tags: h.Tags, Kind: h.Hypervisor, Status: probes.CRIT, Time: at,
		Checks: []probes.Result{
			{Check: "ssh", Status: probes.CRIT, Time: at,
				Summary: "host key changed: fix known_hosts:2 after verifying (may be an attack)",
				Details: "the host no longer presents the key known_hosts holds; its connection was dropped",
				Err: "probes: host key re-check of " + h.Name + " on a fresh handshake: sshx: host key mismatch for [" +
					h.Address + "]:22: presented SHA256:q3Vt0dJ5l0m2Z3c9o9Yk1y4l0Jg7h8o2n6X1Yw2c3d4, " +
					"known_hosts /home/op/.ssh/known_hosts:2 holds another ssh-ed25519 key"},
			{Check: "hypervisor", Status: probes.UNKNOWN, Summary: probes.SummaryKeyRefused, Time: at},
			{Check: "vms", Status: probes.UNKNOWN, Summary: probes.SummaryKeyRefused, Time: at},
		}}
	return r
}

func backupFailure(h hosts.Host, at time.Time) probes.HostReport {
	r := report(h, probes.OK, "", at)
	r.Status = probes.CRIT
	r.Checks = append(r.Checks,
		probes.Result{Check: "kvm", Status: probes.OK, Summary: "/dev/kvm rw, kvm_intel, kvm loaded", Time: at},
		probes.Result{Check: "storage", Status: probes.OK, Summary: "2 pools, fullest 41%", Time: at},
		probes.Result{Check: "backups", Status: probes.CRIT, Time: at,
			Summary: "nightly 34h old (max 26h); weekly OK",
			Details: "nightly: newest /srv/backups/db-main-20261125.qcow2, 34h12m old, 6.2 GiB, sha256 verified\n" +
				"weekly: newest /srv/backups/weekly-20261122.tar, 4d old, 48.0 GiB, sha256 verified"})
	return r
}

func hypervisorDown(h hosts.Host, at, listAt time.Time) probes.HostReport {
	r := report(h, probes.CRIT, "hypervisor not running: libvirtd failed", at)
	r.Checks[1].Details = "units: libvirtd=failed"
	// the host's own time of the failure (its unit's timestamps)
	r.Checks[1].Since = at.Add(-7 * time.Minute)
	r.Checks = append(r.Checks, probes.Result{Check: "vms", Status: probes.UNKNOWN, Time: at,
		Summary: "VM list unavailable: libvirt API not answering"})
	r.VMs = []probes.VM{
		{Name: "db-main", State: "running", Reason: "booted", Autostart: true},
		{Name: "web-1", State: "running", Reason: "booted", Autostart: true},
		{Name: "web-2", State: "running", Reason: "booted"},
		{Name: "batch", State: "shutoff", Reason: "shutdown"},
	}
	r.VMsAsOf = listAt
	return r
}

// TestGoldenIncidents are the screens an operator reads in an incident,
// at 80x24, 120x40 and 200x60, without colour and in ASCII.
// Regenerate with -update and review the diff.
func TestGoldenIncidents(t *testing.T) {
	inv := inventory(12)
	big := inventory(500)
	for i := range big {
		big[i].Name = fmt.Sprintf("kvm-%03d", i+1)
	}
	tests := []struct {
		name  string
		inv   []hosts.Host
		opts  func(*Options)
		setup func(testing.TB, Model) Model
	}{
		{"key_mismatch_zoomed", inv, nil, func(tb testing.TB, m Model) Model {
			m = mixedFleet(tb, m, inv)
			m = step(tb, m, reportsMsg{reports: []probes.HostReport{keyMismatch(inv[4], t0.Add(-20*time.Second))}})
			return zoomOn(tb, m, "kvm-05")
		}},
		{"backup_failure", inv, nil, func(tb testing.TB, m Model) Model {
			m = mixedFleet(tb, m, inv)
			m = step(tb, m, reportsMsg{reports: []probes.HostReport{backupFailure(inv[6], t0.Add(-10*time.Second))}})
			// name order, as an operator scans the fleet, down to kvm-07
			return typeKeys(tb, step(tb, m, keytest.Press("o")), "jjjjjj")
		}},
		{"hypervisor_down_stale_vms", inv, nil, func(tb testing.TB, m Model) Model {
			m = mixedFleet(tb, m, inv)
			m = step(tb, m, reportsMsg{reports: []probes.HostReport{
				hypervisorDown(inv[8], t0.Add(-5*time.Second), t0.Add(-2*time.Minute))}})
			return zoomOn(tb, m, "kvm-09")
		}},
		{"war_room_4_crit_of_500", big, func(o *Options) { o.WarRoom = true }, func(tb testing.TB, m Model) Model {
			var batch []probes.HostReport
			for i, h := range big {
				switch i {
				case 17:
					// the host told when its daemon died: "for 9m (host's time)"
					r := report(h, probes.CRIT, "hypervisor not running: libvirtd failed", t0.Add(-3*time.Minute))
					r.Checks[1].Since = t0.Add(-9 * time.Minute)
					batch = append(batch, r)
				case 203, 341:
					batch = append(batch, report(h, probes.CRIT, "hypervisor not running: libvirtd failed", t0.Add(-3*time.Minute)))
				case 422:
					batch = append(batch, keyMismatch(h, t0.Add(-40*time.Second)))
				default:
					batch = append(batch, report(h, probes.OK, "", t0.Add(-10*time.Minute)))
				}
			}
			return step(tb, m, reportsMsg{reports: batch})
		}},
	}
	for _, look := range []struct {
		name  string
		ascii bool
	}{{"", false}, {"_ascii", true}} {
		for _, size := range []struct {
			name string
			w, h int
		}{{"80x24", 80, 24}, {"120x40", 120, 40}, {"200x60", 200, 60}} {
			for _, tt := range tests {
				t.Run(tt.name+"_"+size.name+look.name, func(t *testing.T) {
					m := newTestModel(t, tt.inv, func(o *Options) {
						o.ASCII, o.Actions = look.ascii, newFakeActions()
						if tt.opts != nil {
							tt.opts(o)
						}
					}, size.w, size.h)
					golden.RequireEqual(t, []byte(plain(tt.setup(t, m))))
				})
			}
		}
	}
}
