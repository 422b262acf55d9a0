package tui

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keytest"
)

const (
	gib    = uint64(1) << 30
	images = "/var/lib/libvirt/images"
)

// healthyResources are figures under every default threshold, varied by
// the host's name so rows differ: memory 41-60% used of 128 GiB, images
// 22-41% full of 500 GiB, load below one per CPU.
func healthyResources(name string) *probes.Resources {
	n := 0
	for _, c := range []byte(name) {
		n += int(c)
	}
	n %= 20
	return &probes.Resources{
		MemTotal: 128 * gib, MemFree: 128 * gib * uint64(40+n) / 100, MemCommitted: 16 * gib,
		CPUs: 16, Model: "Intel Xeon Gold 6230", Load1: 0.4 + float64(n)/10,
		Disks: []remote.DiskUse{diskUse(images, "/var", 500*gib, float64(22+n))},
	}
}

// diskUse is a filesystem pct full, as df reports it.
func diskUse(path, mount string, total uint64, pct float64) remote.DiskUse {
	used := uint64(float64(total) * pct / 100)
	return remote.DiskUse{Path: path, Mount: mount, Filesystem: "/dev/vg0/images",
		Total: total, Used: used, Avail: total - used, UsedPct: pct}
}

// withResources sets a report's figures and appends its resources check
// (summary and details shaped like the real check's), folding the
// check's status into the host's. A nil res is a check that read nothing.
func withResources(rep *probes.HostReport, res *probes.Resources, st probes.Status, problem string) {
	rep.Resources = res
	sum, details := "host resources unavailable: "+problem, ""
	if res != nil {
		mem := 100 * float64(res.MemFree) / float64(res.MemTotal)
		sum = "mem " + strconv.Itoa(int(math.Round(mem))) + "% free, load " + strconv.FormatFloat(res.Load1, 'f', 2, 64)
		if problem != "" {
			sum = problem + " | " + sum
		}
		details = "cpus: " + strconv.Itoa(res.CPUs) + " (" + res.Model + ")\nthresholds: mem free warn 10% crit 5%, disk warn 85% crit 95%"
	}
	rep.Checks = append(rep.Checks, probes.Result{Host: rep.Host, Check: hosts.CheckResources, Status: st,
		Summary: sum, Details: details, Time: rep.Time})
	rep.Status = rep.Status.Worse(st)
}

// resourcesFleet is mixedFleet with resource trouble on a few hosts:
//
//	kvm-01 WARN: memory 93% used, a second image path 88% full
//	kvm-05 CRIT: images 97% full, and its storage pool with it
//	kvm-09 UNKNOWN: the resources check read nothing ("-")
//	kvm-10 OK: memory only, load unread ("62%/-")
//	kvm-11 WARN: running VMs overcommit the host's memory 1.5 times
func resourcesFleet(t testing.TB, m Model, inv []hosts.Host) Model {
	t.Helper()
	m = mixedFleet(t, m, inv)
	at := t0.Add(-40 * time.Second)
	fix := func(i int, res *probes.Resources, st probes.Status, problem string) probes.HostReport {
		rep := report(inv[i], probes.OK, "", at)
		rep.Checks = rep.Checks[:2] // drop the healthy resources check
		withResources(&rep, res, st, problem)
		return rep
	}
	low := healthyResources(inv[0].Name)
	low.MemFree = low.MemTotal * 7 / 100
	low.Disks = append(low.Disks, diskUse("/srv/vm", "/srv", 2048*gib, 88))
	full := healthyResources(inv[4].Name)
	full.Disks[0] = diskUse(images, "/var", 500*gib, 97)
	crit := fix(4, full, probes.CRIT, "disk "+images+" 97% full (crit above 95%)")
	crit.Checks = append(crit.Checks, probes.Result{Host: crit.Host, Check: hosts.CheckStorage, Status: probes.CRIT,
		Summary: "pool default 97% full (crit above 95%)", Details: "default: running, 485.0 GiB of 500.0 GiB\niso: running, 12.0 GiB of 100.0 GiB", Time: at})
	memOnly := healthyResources(inv[9].Name)
	memOnly.MemFree, memOnly.Disks, memOnly.Load1 = memOnly.MemTotal*38/100, nil, -1
	over := healthyResources(inv[10].Name)
	over.MemCommitted = over.MemTotal * 3 / 2
	batch := []probes.HostReport{
		fix(0, low, probes.WARN, "memory low: 7% free (warn below 10%); disk /srv/vm 88% full (warn above 85%)"),
		crit,
		fix(8, nil, probes.UNKNOWN, "libvirt call timed out after 10s"),
		fix(9, memOnly, probes.OK, ""),
		fix(10, over, probes.WARN, "memory overcommitted: running VMs may use 150% of host memory"),
	}
	return step(t, m, reportsMsg{reports: batch})
}

// TestResourcesInView follows one host's figures through reports: the
// fleet column shows them on a wide terminal and is dropped at 80
// columns, a WARN resources check marks them, a round without figures
// shows "-", and the host pane's gauges follow the same report.
func TestResourcesInView(t *testing.T) {
	inv := inventory(4)
	at := t0.Add(-time.Second)
	steps := []struct {
		name    string
		res     *probes.Resources
		st      probes.Status
		row     string // expected MEM/DISK text on kvm-01's row
		paneMem string
	}{
		{"healthy", &probes.Resources{MemTotal: 100 * gib, MemFree: 38 * gib, CPUs: 8, Load1: 0.5,
			Disks: []remote.DiskUse{diskUse(images, "/var", 500*gib, 41)}}, probes.OK, "62%/41%", "62.0 GiB / 100.0 GiB, 62%"},
		{"memory low", &probes.Resources{MemTotal: 100 * gib, MemFree: 7 * gib, CPUs: 8, Load1: 0.5,
			Disks: []remote.DiskUse{diskUse(images, "/var", 500*gib, 41)}}, probes.WARN, "93%/41%!", "93.0 GiB / 100.0 GiB, 93%"},
		{"read nothing", nil, probes.UNKNOWN, "-", "no figures this round"},
	}
	for _, size := range []struct{ w, h int }{{160, 48}, {80, 24}} {
		m := newTestModel(t, inv, nil, size.w, size.h)
		m = step(t, m, keytest.Press("o")) // name order: kvm-01 stays on top and selected
		for _, s := range steps {
			rep := report(inv[0], probes.OK, "", at)
			rep.Checks = rep.Checks[:2]
			withResources(&rep, s.res, s.st, "problem")
			m = step(t, m, reportsMsg{reports: []probes.HostReport{rep}})
			if h, _ := m.table.Lookup("kvm-01"); h.MemDisk() != s.row {
				t.Fatalf("%dx%d %s: MemDisk %q, want %q", size.w, size.h, s.name, h.MemDisk(), s.row)
			}
			screen := plain(m)
			var row string
			for _, l := range strings.Split(screen, "\n") {
				if strings.Contains(l, "kvm-01 prod") {
					row = l
				}
			}
			wide := size.w >= 160
			if got := strings.Contains(screen, "MEM/DISK"); got != wide {
				t.Fatalf("%dx%d: MEM/DISK header shown = %v", size.w, size.h, got)
			}
			if wide && !strings.Contains(row, " "+s.row+" ") {
				t.Fatalf("%s: row %q lacks %q", s.name, row, s.row)
			}
			zoomed := step(t, m, keytest.Press("enter"))
			if !strings.Contains(plain(zoomed), s.paneMem) {
				t.Fatalf("%dx%d %s: host pane lacks %q:\n%s", size.w, size.h, s.name, s.paneMem, plain(zoomed))
			}
		}
	}
}
