package probes

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// Lab tests of the security check over real SSH and the real libvirtd:
// host 27 is given a weak posture (libvirtd.conf listen_tcp = 1 with
// auth_tcp = "none", a domain with VNC on 0.0.0.0 and <seclabel
// type='none'/>, qemu.conf security_driver = "none"), host 28 stays as
// lab.sh made it. The test driver always reports its own secmodel
// ("testSecurity"), so sVirt off and QEMU as root are shown by the
// fixtures of security_test.go instead.

const (
	securityWeakHost  = 27
	securityCleanHost = 28
)

const weakWorld = `<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><active>8</active><nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>1</threads></cpu>
  <memory>33554432</memory>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>web-1</name>
    <uuid>2f0e6c1a-7d5b-4b1e-9a10-000000000001</uuid>
    <memory>2097152</memory><vcpu>2</vcpu><os><type>hvm</type></os>
    <devices>
      <graphics type='vnc' port='5900' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>
      <graphics type='spice' port='5901' listen='127.0.0.1'/>
    </devices>
    <seclabel type='none'/>
    <test:runstate>1</test:runstate>
  </domain>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>db-1</name>
    <uuid>2f0e6c1a-7d5b-4b1e-9a10-000000000002</uuid>
    <memory>2097152</memory><vcpu>2</vcpu><os><type>hvm</type></os>
    <devices><graphics type='vnc' port='5902' listen='127.0.0.1'/></devices>
    <test:runstate>1</test:runstate>
  </domain>
</node>
`

// securityRound probes lab host n once with the security check on.
func securityRound(t *testing.T, n int) Result {
	t.Helper()
	_, s, hs := labFleet(t, n)
	h := hs[0]
	h.Checks = []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckSecurity}
	h.SecurityCrit = hosts.DefaultSecurityCrit
	rep := s.Round(t.Context(), []hosts.Host{h})[0]
	i := slices.IndexFunc(rep.Checks, func(r Result) bool { return r.Check == hosts.CheckSecurity })
	if i < 0 {
		t.Fatalf("no security result in %+v", rep.Checks)
	}
	return rep.Checks[i]
}

// labHostConf reads a file of lab host n's folders (see labtest.HostFile).
func labHostConf(t *testing.T, l *labtest.Lab, n int, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.Dir, "hosts", l.Host(n).Name, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLabSecurityWeakHost(t *testing.T) {
	l := labtest.Require(t)
	// The world first: its cleanup restarts libvirtd, after the config
	// files below have been put back (cleanups run last-in, first-out).
	l.World(t, securityWeakHost, weakWorld)
	base := labHostConf(t, l, securityWeakHost, "etc/libvirtd.conf")
	l.HostFile(t, securityWeakHost, "etc/libvirtd.conf", base+"listen_tcp = 1\nauth_tcp = \"none\"\n")
	qemu := labHostConf(t, l, securityWeakHost, "etc/qemu.conf")
	l.HostFile(t, securityWeakHost, "etc/qemu.conf", qemu+"security_driver = \"none\"\n")

	r := securityRound(t, securityWeakHost)
	t.Logf("%s\n%s", r.Summary, r.Details)
	if r.Status != CRIT {
		t.Errorf("weak host: %v %q, want CRIT\n%s", r.Status, r.Summary, r.Details)
	}
	want := []string{"CRIT tcp-unauth", "WARN security-driver-none", "WARN domain-unconfined", "CRIT graphics-public"}
	if got := findingKinds(r); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v\n%s", got, want, r.Details)
	}
	for _, s := range []string{
		`auth_tcp = "none" in /etc/libvirt/libvirtd.conf with listen_tcp = 1`,
		"fix: set auth_tcp = \"sasl\"",
		"VNC of VM web-1 listens on 0.0.0.0 without TLS",
		"VM web-1 unconfined",
		"no CVE verdict from version numbers",
	} {
		if !strings.Contains(r.Details, s) {
			t.Errorf("%q missing from\n%s", s, r.Details)
		}
	}
	if strings.Contains(r.Details, "db-1") {
		t.Errorf("db-1 listens on loopback only, yet it is reported:\n%s", r.Details)
	}
}

// An enabled libvirtd-tcp.socket listens whatever listen_tcp says.
func TestLabSecuritySocketActivation(t *testing.T) {
	l := labtest.Require(t)
	base := labHostConf(t, l, securityWeakHost, "etc/libvirtd.conf")
	l.HostFile(t, securityWeakHost, "etc/libvirtd.conf", base+"auth_tcp = \"none\"\n")
	l.HostFile(t, securityWeakHost, "etc/hvlab-sockets/libvirtd-tcp.socket", "")
	r := securityRound(t, securityWeakHost)
	if r.Status != CRIT || !strings.Contains(r.Details, "with libvirtd-tcp.socket enabled, active") {
		t.Errorf("socket-activated unauthenticated TCP: %v\n%s", r.Status, r.Details)
	}
}

func TestLabSecurityCleanHost(t *testing.T) {
	r := securityRound(t, securityCleanHost)
	t.Logf("%s\n%s", r.Summary, r.Details)
	if r.Status != OK || len(findingKinds(r)) != 0 {
		t.Errorf("clean host: %v %q\n%s", r.Status, r.Summary, r.Details)
	}
	if !strings.Contains(r.Summary, "no findings") || !strings.Contains(r.Summary, "libvirt 9.0.0") {
		t.Errorf("summary %q", r.Summary)
	}
}

// securityHyperVHost is a lab host playing a Hyper-V host (the
// powershell.exe stand-in) for the security check over real SSH.
const securityHyperVHost = 29

func TestLabSecurityHyperV(t *testing.T) {
	l, s, hs := labFleet(t, securityHyperVHost)
	h := hs[0]
	h.Hypervisor = hosts.KindHyperV
	h.Checks = []string{hosts.CheckSSH, hosts.CheckSecurity}
	h.SecurityCrit = hosts.DefaultSecurityCrit
	for _, tc := range []struct {
		scenario string
		status   Status
		kinds    []string
	}{
		{labtest.HyperVHealthy, OK, nil},
		{labtest.HyperVWeakSecurity, WARN, []string{"WARN secure-boot-off", "WARN hvci-off"}},
	} {
		l.HyperV(t, securityHyperVHost, tc.scenario)
		rep := s.Round(t.Context(), []hosts.Host{h})[0]
		r := rep.Checks[len(rep.Checks)-1]
		if r.Check != hosts.CheckSecurity || r.Status != tc.status || !slices.Equal(findingKinds(r), tc.kinds) {
			t.Errorf("%s: %s %s %q, want %v %v\n%s", tc.scenario, r.Check, r.Status, r.Summary, tc.status, tc.kinds, r.Details)
		}
	}
}
