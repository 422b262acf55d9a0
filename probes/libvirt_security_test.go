package probes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// fakeSecurity answers the security check's procedures from fixtures,
// through the libvirt double (stub).
type fakeSecurity struct {
	caps    string
	capsErr error
	domains map[string]string // name -> XML
}

// stub hands the fixtures to the libvirt double.
func (f *fakeSecurity) stub() *stubLibvirt {
	return &stubLibvirt{
		ConnectGetCapabilitiesFn: func() (string, error) { return f.caps, f.capsErr },
		ConnectGetTypeFn:         func() (string, error) { return "QEMU", nil },
		ConnectGetLibVersionFn:   func() (uint64, error) { return 9000000, nil },
		ConnectGetVersionFn:      func() (uint64, error) { return 7002000, nil },
		ConnectListAllDomainsFn:  f.ConnectListAllDomains,
		DomainGetXMLDescFn:       f.DomainGetXMLDesc,
	}
}

func (f *fakeSecurity) ConnectListAllDomains(int32, libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error) {
	var out []libvirt.Domain
	for n := range f.domains {
		out = append(out, libvirt.Domain{Name: n})
	}
	return out, uint32(len(out)), nil
}

func (f *fakeSecurity) DomainGetXMLDesc(d libvirt.Domain, _ libvirt.DomainXMLFlags) (string, error) {
	x, ok := f.domains[d.Name]
	if !ok {
		return "", libvirt.Error{Code: uint32(libvirt.ErrNoDomain), Message: "no domain"}
	}
	return x, nil
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "security", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func execAnswer(out string, err error) execFunc {
	return func(_ context.Context, cmd string) (ExecResult, error) {
		if cmd != remote.SecurityConfigCommand {
			return ExecResult{ExitCode: 127}, nil
		}
		return ExecResult{Stdout: []byte(out)}, err
	}
}

// findingKinds lists the "STATUS kind" heads of a result's finding lines.
func findingKinds(r Result) []string {
	var out []string
	for _, l := range strings.Split(r.Details, "\n") {
		head, _, ok := strings.Cut(l, ": ")
		if ok && (strings.HasPrefix(head, "WARN ") || strings.HasPrefix(head, "CRIT ")) {
			out = append(out, head)
		}
	}
	return out
}

func TestSecurityCheck(t *testing.T) {
	weakHost := hosts.Host{Name: "kvm-01", SecurityCrit: hosts.DefaultSecurityCrit}
	tests := []struct {
		name    string
		host    hosts.Host
		api     *fakeSecurity
		conf    string
		confErr error
		status  Status
		kinds   []string
		inSum   []string
	}{
		{
			name:   "clean host: no findings, versions shown without a CVE verdict",
			host:   weakHost,
			api:    &fakeSecurity{caps: fixture(t, "caps-apparmor.xml"), domains: map[string]string{"db-1": fixture(t, "domain-clean.xml")}},
			conf:   fixture(t, "config-clean.txt"),
			status: OK,
			inSum:  []string{"no findings", "libvirt 9.0.0, QEMU 7.2.0", "no CVE verdict"},
		},
		{
			name: "weak host: every finding with its level",
			host: weakHost,
			api:  &fakeSecurity{caps: fixture(t, "caps-secmodel-none.xml"), domains: map[string]string{"web-1": fixture(t, "domain-weak.xml"), "db-1": fixture(t, "domain-clean.xml")}},
			conf: fixture(t, "config-weak.txt"),
			kinds: []string{"CRIT tcp-unauth", "WARN tls-no-verify", "WARN svirt-off", "WARN qemu-root",
				"WARN security-driver-none", "WARN graphics-listen-all", "WARN domain-unconfined",
				"CRIT graphics-public", "CRIT graphics-public", "WARN graphics-exposed"},
			status: CRIT,
			inSum:  []string{"10 findings", "VNC of VM web-1 listens on 0.0.0.0 without TLS", "VNC of VM db-1 listens on 0.0.0.0"},
		},
		{
			name: "levels are configurable: CRIT lowered, a finding ignored",
			host: hosts.Host{Name: "kvm-01", SecurityCrit: []string{hosts.FindingSVirtOff},
				SecurityIgnore: []string{hosts.FindingTCPUnauth, hosts.FindingGraphicsPublic, hosts.FindingGraphicsExposed,
					hosts.FindingDomainUnconfined, hosts.FindingTLSNoVerify, hosts.FindingGraphicsListenAll}},
			api:    &fakeSecurity{caps: fixture(t, "caps-secmodel-none.xml"), domains: map[string]string{"web-1": fixture(t, "domain-weak.xml")}},
			conf:   fixture(t, "config-weak.txt"),
			kinds:  []string{"CRIT svirt-off", "WARN qemu-root", "WARN security-driver-none"},
			status: CRIT,
		},
		{
			name:   "socket activation opens TCP whatever listen_tcp says; unreadable qemu.conf noted",
			host:   weakHost,
			api:    &fakeSecurity{caps: fixture(t, "caps-apparmor.xml"), domains: map[string]string{"web-1": fixture(t, "domain-weak.xml")}},
			conf:   fixture(t, "config-socket.txt"),
			kinds:  []string{"CRIT tcp-unauth", "WARN domain-unconfined", "CRIT graphics-public", "WARN graphics-exposed"},
			status: CRIT,
			inSum:  []string{"virtproxyd-tcp.socket enabled", "(qemu.conf not read: TLS taken as off)"},
		},
		{
			name:    "config command failed, nothing else found: UNKNOWN with why",
			host:    weakHost,
			api:     &fakeSecurity{caps: fixture(t, "caps-apparmor.xml"), domains: map[string]string{}},
			confErr: errors.New("session closed"),
			status:  UNKNOWN,
			inSum:   []string{"partly unknown", "config files"},
		},
		{
			name:   "capabilities garbage: UNKNOWN, never a panic",
			host:   weakHost,
			api:    &fakeSecurity{caps: "<capabilities><host><secmodel>", domains: map[string]string{}},
			conf:   fixture(t, "config-clean.txt"),
			status: UNKNOWN,
			inSum:  []string{"capabilities"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := securityCheck(context.Background(), apiSession(t, tc.api.stub()), execAnswer(tc.conf, tc.confErr), tc.host, time.Unix(0, 0))
			if r.Status != tc.status {
				t.Errorf("status %v, want %v\n%s\n%s", r.Status, tc.status, r.Summary, r.Details)
			}
			if diff := cmp.Diff(tc.kinds, findingKinds(r)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, r.Details)
			}
			for _, s := range tc.inSum {
				if !strings.Contains(r.Summary+"\n"+r.Details, s) {
					t.Errorf("%q missing from\n%s\n%s", s, r.Summary, r.Details)
				}
			}
			if n := strings.Count(r.Details, "\n  fix: "); n != len(tc.kinds) {
				t.Errorf("%d remedies for %d findings:\n%s", n, len(tc.kinds), r.Details)
			}
		})
	}
}

func TestGraphicsExposure(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1": "", "::1": "", "localhost": "", "[::1]": "",
		"0.0.0.0": hosts.FindingGraphicsPublic, "::": hosts.FindingGraphicsPublic, "203.0.113.9": hosts.FindingGraphicsPublic,
		"10.0.0.5": hosts.FindingGraphicsExposed, "192.168.1.2": hosts.FindingGraphicsExposed, "fd00::1": hosts.FindingGraphicsExposed,
		"fe80::1": hosts.FindingGraphicsExposed, "network:default": hosts.FindingGraphicsExposed, "kvm01.example": hosts.FindingGraphicsExposed,
	}
	for addr, want := range tests {
		if got := graphicsExposure(addr); got != want {
			t.Errorf("graphicsExposure(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestGraphicsTLS(t *testing.T) {
	qemu := remote.ConfigFile{State: "read", Values: map[string]string{"vnc_tls": "1", "spice_tls": "1"}}
	vnc := remote.Graphics{Type: "vnc", Listens: []string{"0.0.0.0"}}
	spice := remote.Graphics{Type: "spice", Listens: []string{"0.0.0.0"}}
	if f := graphicsFindings("a", vnc, qemu); len(f) != 0 {
		t.Errorf("VNC with vnc_tls = 1: %v", f)
	}
	if f := graphicsFindings("a", spice, qemu); len(f) != 1 {
		t.Errorf("SPICE with a plain-text default mode must be reported: %v", f)
	}
	spice.SecureOnly = true
	if f := graphicsFindings("a", spice, qemu); len(f) != 0 {
		t.Errorf("SPICE secure only with spice_tls = 1: %v", f)
	}
}

func TestParseSecurityConfig(t *testing.T) {
	good := fixture(t, "config-weak.txt")
	c, err := remote.ParseSecurityConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := c.File("/etc/libvirt/libvirtd.conf")
	q, _ := c.File("/etc/libvirt/qemu.conf")
	want := map[string]string{"listen_tcp": "1", "auth_tcp": "none", "tls_no_verify_certificate": "1"}
	if diff := cmp.Diff(want, lv.Values); diff != "" {
		t.Errorf("libvirtd.conf (-want +got):\n%s", diff)
	}
	if q.Values["security_driver"] != "none" || q.Values["vnc_listen"] != "0.0.0.0" {
		t.Errorf("qemu.conf values %v", q.Values)
	}
	bad := []string{
		"",
		strings.Replace(good, "@@socket virtproxyd-tcp.socket unknown inactive\n", "", 1),
		"stray line\n" + good,
		strings.Replace(good, "listen_tcp = 1", "listen_tcp = yes", 1),
		strings.Replace(good, "listen_tcp = 1", "password = 1", 1),
		strings.Replace(good, `auth_tcp = "none"`, `auth_tcp = "none`, 1),
		strings.Replace(good, "@@absent /etc/libvirt/virtproxyd.conf", "@@absent /etc/shadow", 1),
		good + "@@conf /etc/libvirt/qemu.conf\n",
		strings.Repeat("@@absent /etc/libvirt/qemu.conf\n", 1000),
	}
	for _, in := range bad {
		if _, err := remote.ParseSecurityConfig(in); !errors.Is(err, remote.ErrUnparseable) {
			t.Errorf("ParseSecurityConfig(%.60q) = %v, want ErrUnparseable", in, err)
		}
	}
}

func TestParseHyperVSecurity(t *testing.T) {
	h := hosts.Host{Name: "hv-01", SecurityCrit: hosts.DefaultSecurityCrit}
	tests := []struct {
		file   string
		status Status
		kinds  []string
	}{
		{"hyperv-clean.json", OK, nil},
		{"hyperv-weak.json", WARN, []string{"WARN secure-boot-off", "WARN hvci-off"}},
		// 5.1: a single VM as an object, the enum as a number (1 = Off),
		// Device Guard unreadable.
		{"hyperv-ps51.json", WARN, []string{"WARN secure-boot-off"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := remote.ParseHyperVSecurity(fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r := securityResult(h, hosts.CheckSecurity, hyperVFindings(f), "", hyperVSecurityProblems(f), 0, time.Unix(0, 0))
			if r.Status != tc.status {
				t.Errorf("status %v, want %v: %s", r.Status, tc.status, r.Details)
			}
			if diff := cmp.Diff(tc.kinds, findingKinds(r)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
	for _, in := range []string{"", "{", `{"VMs":[{"Name":"a","Generation":3}]}`, `{"VMs":[{"Generation":2}]}`,
		`{"DeviceGuard":{"VBSStatus":7}}`, `{"VMs":"x"}`} {
		if _, err := remote.ParseHyperVSecurity(in); err == nil {
			t.Errorf("ParseHyperVSecurity(%q) accepted", in)
		}
	}
}
