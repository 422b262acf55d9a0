package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

func TestCheckLabHealthy(t *testing.T) {
	lab := labtest.Require(t)
	cfg := labConfig(t, lab, lab.KnownHosts, []int{labHealthy}, nil)
	doc, code, stderr := runJSON(t, cfg)
	h := hostByName(t, doc, lab.Host(labHealthy).Name)
	if code != exitOK || doc.Status.String() != "OK" || h.Status.String() != "OK" {
		t.Fatalf("exit %d, fleet %s, host %s; stderr %q; host %+v", code, doc.Status, h.Status, stderr, h)
	}
	if hv := checkByName(t, h, "hypervisor"); !strings.Contains(hv.Summary, "libvirt") {
		t.Errorf("hypervisor summary %q does not name libvirt", hv.Summary)
	}
	names := map[string]string{}
	for _, v := range h.VMs {
		names[v.Name] = v.State
	}
	want := map[string]string{"web-1": "running", "db-1": "running", "batch-1": "paused", "spare-1": "shutoff", "legacy-1": "shutoff"}
	for n, st := range want {
		if names[n] != st {
			t.Errorf("VM %s state %q, want %q (all: %v)", n, names[n], st, names)
		}
	}
}

func TestCheckLabFaults(t *testing.T) {
	lab := labtest.Require(t)
	healthy, faulty := lab.Host(labHealthy).Name, lab.Host(labFaulty).Name
	tests := []struct {
		name        string
		fault       func(t *testing.T)
		check       string
		wantSummary string
		dependents  bool // the other checks are UNKNOWN "host unreachable"
	}{
		{name: "libvirtd stopped", fault: func(t *testing.T) { lab.Libvirtd(t, "stop", labFaulty) },
			check: "hypervisor", wantSummary: "hypervisor not running"},
		{name: "libvirtd frozen", fault: func(t *testing.T) { lab.Libvirtd(t, "freeze", labFaulty) },
			check: "hypervisor", wantSummary: "hypervisor not running"},
		{name: "sshd stopped", fault: func(t *testing.T) { lab.Sshd(t, "stop", labFaulty) },
			check: "ssh", wantSummary: "unreachable", dependents: true},
		{name: "sshd frozen", fault: func(t *testing.T) { lab.Sshd(t, "freeze", labFaulty) },
			check: "ssh", wantSummary: "unreachable", dependents: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault(t)
			cfg := labConfig(t, lab, lab.KnownHosts, []int{labHealthy, labFaulty}, nil)
			doc, code, _ := runJSON(t, cfg)
			if code != exitCrit || doc.Status.String() != "CRIT" {
				t.Fatalf("exit %d, fleet %s; want 2 CRIT", code, doc.Status)
			}
			if h := hostByName(t, doc, healthy); h.Status.String() != "OK" {
				t.Errorf("the healthy host is %s: %+v", h.Status, h.Checks)
			}
			h := hostByName(t, doc, faulty)
			c := checkByName(t, h, tc.check)
			if h.Status.String() != "CRIT" || c.Status.String() != "CRIT" || !strings.Contains(c.Summary, tc.wantSummary) {
				t.Fatalf("%s: host %s, %s %s %q; want CRIT %q", faulty, h.Status, c.Name, c.Status, c.Summary, tc.wantSummary)
			}
			// The deadline bounds the check: connect_timeout is 2s and
			// probe_timeout 4s in labConfig; allow the scheduler its slack.
			if c.LatencyMS > float64((4*time.Second+2*time.Second)/time.Millisecond) {
				t.Errorf("%s took %.0f ms, past its deadline", c.Name, c.LatencyMS)
			}
			if !tc.dependents {
				return
			}
			for _, dep := range []string{"hypervisor", "vms"} {
				d := checkByName(t, h, dep)
				if d.Status.String() != "UNKNOWN" || !strings.Contains(d.Summary, "host unreachable") {
					t.Errorf("%s = %s %q, want UNKNOWN host unreachable", dep, d.Status, d.Summary)
				}
			}
		})
	}
}

func TestCheckLabHostKeys(t *testing.T) {
	lab := labtest.Require(t)
	target, other := lab.Host(labKeys), lab.Host(labTarget)
	tests := []struct {
		name  string
		known string
		want  []string
	}{
		{name: "changed key", known: knownHostsWithout(t, lab, target.Address, linesOf(t, lab, other.Address, target.Address)),
			want: []string{"host key changed", "known_hosts:"}},
		{name: "unknown host", known: knownHostsWithout(t, lab, target.Address, nil),
			want: []string{"unknown host key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := labConfig(t, lab, tc.known, []int{labKeys}, nil)
			doc, code, _ := runJSON(t, cfg)
			h := hostByName(t, doc, target.Name)
			c := checkByName(t, h, "ssh")
			if code != exitCrit || c.Status.String() != "CRIT" {
				t.Fatalf("exit %d, ssh %s %q; want 2 and CRIT", code, c.Status, c.Summary)
			}
			for _, w := range tc.want {
				if !strings.Contains(c.Summary+" "+c.Details, w) {
					t.Errorf("ssh check %q lacks %q", c.Summary, w)
				}
			}
		})
	}
}

func TestCheckLabJumpHost(t *testing.T) {
	lab := labtest.Require(t)
	jump, target := lab.Host(labKeys), lab.Host(labTarget)
	t.Run("both hops checked and trusted", func(t *testing.T) {
		cfg := labConfig(t, lab, lab.KnownHosts, []int{labKeys, labTarget}, map[int]string{labTarget: "jump = \"" + jump.Name + "\"\n"})
		doc, code, stderr := runJSON(t, cfg, "--host", target.Name)
		if h := hostByName(t, doc, target.Name); code != exitOK || h.Status.String() != "OK" {
			t.Fatalf("exit %d, %s via %s: %+v; stderr %q", code, target.Name, jump.Name, h.Checks, stderr)
		}
	})
	t.Run("the jump host's key is checked too", func(t *testing.T) {
		known := knownHostsWithout(t, lab, jump.Address, linesOf(t, lab, target.Address, jump.Address))
		cfg := labConfig(t, lab, known, []int{labKeys, labTarget}, map[int]string{labTarget: "jump = \"" + jump.Name + "\"\n"})
		doc, code, _ := runJSON(t, cfg, "--host", target.Name)
		c := checkByName(t, hostByName(t, doc, target.Name), "ssh")
		if code != exitCrit || !strings.Contains(c.Summary, "host key changed") || !strings.Contains(c.Summary, jump.Name) {
			t.Fatalf("exit %d, ssh %q; want a mismatch at jump %s", code, c.Summary, jump.Name)
		}
	})
}

// `hvconsole backups` runs the backups check alone, with check's exit codes.
func TestBackupsCommandLab(t *testing.T) {
	lab := labtest.Require(t)
	h := lab.Host(labHealthy)
	const dir = "/srv/hvcmd"
	lab.Exec(t, labHealthy, "sh", "-c", "rm -rf "+dir+" && mkdir -p "+dir+" && head -c 4096 /dev/urandom > "+dir+"/a.img")
	backups := "\n[[hosts.backups]]\nname = \"images\"\npath = \"" + dir + "/*.img\"\nmax_age = \"1h\"\nmin_size = \"1MiB\"\n"
	cfg := labConfig(t, lab, lab.KnownHosts, []int{labHealthy}, map[int]string{labHealthy: backups})
	doc, code, stderr := runJSON2(t, "backups", cfg)
	host := hostByName(t, doc, h.Name)
	if len(host.Checks) != 2 {
		t.Fatalf("checks = %+v, want ssh and backups only", host.Checks)
	}
	b := checkByName(t, host, "backups")
	if code != exitCrit || b.Status.String() != "CRIT" || !strings.Contains(b.Summary+b.Details, "images") {
		t.Fatalf("exit %d, backups %s %q (stderr %q); want 2, CRIT for a 4 KiB file under min_size", code, b.Status, b.Summary, stderr)
	}
	lab.Exec(t, labHealthy, "rm", "-rf", dir)
}
