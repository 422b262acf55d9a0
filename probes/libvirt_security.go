package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// noCVEVerdict is said beside the versions the security check shows.
const noCVEVerdict = "no CVE verdict from version numbers: distributions backport fixes, so check your distribution's security advisories"

// finding is one hole the security check found, with its one-line remedy.
type finding struct {
	kind, text, remedy string
}

// securityFacts is everything the security check read on a libvirt host.
type securityFacts struct {
	models   []remote.SecModel
	capsErr  error
	domains  []remote.DomainSecurity
	capped   bool
	domErr   error
	conf     remote.SecurityConfig
	confErr  error
	versions string
	verErr   error
}

// securityCheck reads a libvirt host's security posture: through libvirt
// (capabilities' secmodels, each domain's seclabels and graphics, the
// versions) and one constant remote command (remote.SecurityConfigCommand:
// libvirtd/virtproxyd/qemu.conf settings and the TCP socket units). Each
// finding is rated by h.SecurityLevel (WARN, CRIT for security_crit,
// dropped for security_ignore) and shown with its remedy. ctx bounds all.
func securityCheck(ctx context.Context, s *lvSession, exec execFunc, h hosts.Host, now time.Time) Result {
	start := time.Now()
	var f securityFacts
	f.versions, f.verErr = call(ctx, s, "version", securityVersions)
	f.models, f.capsErr = call(ctx, s, "capabilities", func(api libvirtAPI) ([]remote.SecModel, error) {
		caps, err := api.ConnectGetCapabilities()
		if err != nil {
			return nil, err
		}
		return remote.ParseSecModels(caps)
	})
	doms, err := call(ctx, s, "domain XML", readDomainSecurity)
	f.domains, f.capped, f.domErr = doms.domains, doms.capped, err
	f.conf, f.confErr = readSecurityConfig(ctx, exec)
	return securityResult(h, hosts.CheckSecurity, libvirtFindings(f), f.versions, f.problems(), time.Since(start), now)
}

// securityVersions is the versions line: libvirt's, and the hypervisor's
// with its type.
func securityVersions(api libvirtAPI) (string, error) {
	lib, err := api.ConnectGetLibVersion()
	if err != nil {
		return "", err
	}
	hv, err := api.ConnectGetVersion()
	if err != nil {
		return "", err
	}
	typ, err := api.ConnectGetType()
	if err != nil {
		return "", err
	}
	if typ = remote.CleanLine(typ); typ == "" {
		typ = "hypervisor"
	}
	return fmt.Sprintf("libvirt %s, %s %s", remote.FormatVersion(lib), typ, remote.FormatVersion(hv)), nil
}

// domainSecurity is every domain's security facts, and whether the list
// was cut at MaxDomains.
type domainSecurity struct {
	domains []remote.DomainSecurity
	capped  bool
}

// readDomainSecurity reads every domain's XML (at most MaxDomains); a
// domain undefined meanwhile is skipped.
func readDomainSecurity(api libvirtAPI) (domainSecurity, error) {
	var out domainSecurity
	doms, _, err := api.ConnectListAllDomains(1, 0)
	if err != nil {
		return out, err
	}
	out.capped = len(doms) > remote.MaxDomains
	for _, d := range doms[:min(len(doms), remote.MaxDomains)] {
		x, err := api.DomainGetXMLDesc(d, 0)
		if libvirt.IsNotFound(err) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("XML of %s: %w", remote.CleanLine(d.Name), err)
		}
		ds, err := remote.ParseDomainSecurity(x)
		if err != nil {
			return out, fmt.Errorf("XML of %s: %w", remote.CleanLine(d.Name), err)
		}
		out.domains = append(out.domains, ds)
	}
	return out, nil
}

// readSecurityConfig runs remote.SecurityConfigCommand and parses it.
func readSecurityConfig(ctx context.Context, exec execFunc) (remote.SecurityConfig, error) {
	res, err := exec(ctx, remote.SecurityConfigCommand)
	switch {
	case err != nil:
		return remote.SecurityConfig{}, fmt.Errorf("probes: security config: %w", err)
	case res.Truncated:
		return remote.SecurityConfig{}, fmt.Errorf("%w: security config output truncated", remote.ErrUnparseable)
	case res.ExitCode != 0:
		return remote.SecurityConfig{}, fmt.Errorf("probes: security config: exit %d: %s", res.ExitCode, remote.CleanLine(string(res.Stderr)))
	}
	return remote.ParseSecurityConfig(string(res.Stdout))
}

// problems lists what could not be read, for the result.
func (f securityFacts) problems() []string {
	var out []string
	for _, p := range []struct {
		what string
		err  error
	}{{"versions", f.verErr}, {"capabilities", f.capsErr}, {"domains", f.domErr}, {"config files", f.confErr}} {
		if p.err != nil {
			out = append(out, p.what+": "+reason(p.err))
		}
	}
	if f.capped {
		out = append(out, fmt.Sprintf("domains: only the first %d checked", remote.MaxDomains))
	}
	for _, c := range f.conf.Files {
		if c.State == "unreadable" {
			out = append(out, c.Path+" unreadable (run the check as root to read it)")
		}
	}
	return out
}

// libvirtFindings turns a libvirt host's facts into findings.
func libvirtFindings(f securityFacts) []finding {
	var out []finding
	out = append(out, configFindings(f.conf)...)
	if f.capsErr == nil {
		out = append(out, capsFindings(f.models)...)
	}
	qemu, _ := f.conf.File("/etc/libvirt/qemu.conf")
	for _, d := range f.domains {
		for _, m := range d.Unconfined {
			label := "<seclabel type='none'/>"
			if m != "" {
				label = "<seclabel type='none' model='" + m + "'/>"
			}
			out = append(out, finding{hosts.FindingDomainUnconfined, "VM " + d.Name + " unconfined: " + label,
				"remove the seclabel from VM " + d.Name + " (virsh edit " + d.Name + ") so sVirt confines it, then restart it"})
		}
		for _, g := range d.Graphics {
			out = append(out, graphicsFindings(d.Name, g, qemu)...)
		}
	}
	return out
}

// configFindings rates the config files and the TCP socket units.
func configFindings(c remote.SecurityConfig) []finding {
	var out []finding
	for _, d := range []struct{ conf, socket, daemon string }{
		{"/etc/libvirt/libvirtd.conf", "libvirtd-tcp.socket", "libvirtd"},
		{"/etc/libvirt/virtproxyd.conf", "virtproxyd-tcp.socket", "virtproxyd"},
	} {
		f, _ := c.File(d.conf)
		var open []string
		if f.Values["listen_tcp"] == "1" {
			open = append(open, "listen_tcp = 1")
		}
		for _, s := range c.Sockets {
			if s.Unit == d.socket && (isOn(s.Enabled) || s.Active == "active") {
				open = append(open, d.socket+" "+cmpWord(s.Enabled, s.Active))
			}
		}
		if len(open) > 0 && f.Values["auth_tcp"] == "none" {
			out = append(out, finding{hosts.FindingTCPUnauth,
				"libvirt accepts unauthenticated TCP connections: auth_tcp = \"none\" in " + d.conf + " with " + strings.Join(open, ", "),
				"set auth_tcp = \"sasl\" (or listen_tcp = 0 and systemctl disable --now " + d.socket + "), restart " + d.daemon + "; prefer TLS"})
		}
		if f.Values["tls_no_verify_certificate"] == "1" {
			out = append(out, finding{hosts.FindingTLSNoVerify,
				d.conf + " sets tls_no_verify_certificate = 1: TLS clients' certificates are not checked",
				"remove tls_no_verify_certificate from " + d.conf + " and restart " + d.daemon})
		}
	}
	q, _ := c.File("/etc/libvirt/qemu.conf")
	if drv, ok := q.Values["security_driver"]; ok && onlyNone(drv) {
		out = append(out, finding{hosts.FindingSecurityDriverNone,
			"qemu.conf security_driver = \"none\": guests run without SELinux/AppArmor confinement",
			"remove security_driver from /etc/libvirt/qemu.conf (or set \"selinux\"/\"apparmor\"), restart libvirtd, then the guests"})
	}
	for _, k := range []string{"vnc_listen", "spice_listen"} {
		if v, ok := q.Values[k]; ok && allAddresses(v) {
			out = append(out, finding{hosts.FindingGraphicsListenAll,
				"qemu.conf " + k + " = \"" + v + "\": consoles without their own listen address are open to every network",
				"set " + k + " = \"127.0.0.1\" in /etc/libvirt/qemu.conf and reach consoles through an SSH tunnel"})
		}
	}
	return out
}

func isOn(enabled string) bool {
	return enabled == "enabled" || enabled == "enabled-runtime" || enabled == "static" || enabled == "alias"
}

func cmpWord(enabled, active string) string { return enabled + ", " + active }

func onlyNone(list string) bool {
	for _, d := range strings.Split(list, ",") {
		if strings.TrimSpace(d) != "none" {
			return false
		}
	}
	return true
}

func allAddresses(a string) bool {
	ip := net.ParseIP(strings.Trim(a, "[]"))
	return ip != nil && ip.IsUnspecified()
}

// capsFindings rates the capabilities' security models.
func capsFindings(models []remote.SecModel) []finding {
	var out []finding
	confined := slices.ContainsFunc(models, func(m remote.SecModel) bool { return m.Model != "none" && m.Model != "dac" && m.Model != "" })
	if !confined {
		out = append(out, finding{hosts.FindingSVirtOff,
			"sVirt off: the capabilities' secmodel is none, guests are not confined by SELinux or AppArmor",
			"enable AppArmor or SELinux for libvirt and leave qemu.conf security_driver unset, then restart libvirtd"})
	}
	for _, m := range models {
		if m.Model != "dac" {
			continue
		}
		for _, t := range []string{"kvm", "qemu"} {
			if m.BaseLabels[t] == "+0:+0" {
				out = append(out, finding{hosts.FindingQEMURoot,
					"QEMU runs as root: the DAC baselabel of " + t + " guests is +0:+0",
					"set user and group (e.g. \"libvirt-qemu\") in /etc/libvirt/qemu.conf, restart libvirtd, then the guests"})
				return out
			}
		}
	}
	return out
}

// graphicsFindings rates one VNC/SPICE display of a VM.
func graphicsFindings(vm string, g remote.Graphics, qemu remote.ConfigFile) []finding {
	name := strings.ToUpper(g.Type)
	tls := qemu.Values[g.Type+"_tls"] == "1" && (g.Type == "vnc" || g.SecureOnly)
	if tls {
		return nil
	}
	addrs := slices.Clone(g.Listens)
	if g.Default {
		addrs = append(addrs, cmpDefault(qemu.Values[g.Type+"_listen"]))
	}
	note := ""
	if qemu.State != "read" {
		note = " (qemu.conf not read: TLS taken as off)"
	}
	remedy := "listen on 127.0.0.1 (virsh edit " + vm + ") and tunnel over SSH, or enable " + g.Type + "_tls in qemu.conf"
	if g.Type == "spice" {
		remedy += " with defaultMode='secure'"
	}
	var out []finding
	for _, a := range addrs {
		kind := graphicsExposure(a)
		if kind == "" {
			continue
		}
		out = append(out, finding{kind, name + " of VM " + vm + " listens on " + a + " without TLS" + note, remedy})
	}
	return out
}

func cmpDefault(listen string) string {
	if listen == "" {
		return "127.0.0.1"
	}
	return listen
}

// graphicsExposure classifies a listen address: "" for loopback,
// FindingGraphicsPublic for a wildcard or globally routable address,
// FindingGraphicsExposed for a private one, a libvirt network or a name.
func graphicsExposure(addr string) string {
	if addr == "localhost" {
		return ""
	}
	ip := net.ParseIP(strings.Trim(addr, "[]"))
	switch {
	case ip == nil:
		return hosts.FindingGraphicsExposed
	case ip.IsLoopback():
		return ""
	case ip.IsUnspecified():
		return hosts.FindingGraphicsPublic
	case ip.IsPrivate() || ip.IsLinkLocalUnicast():
		return hosts.FindingGraphicsExposed
	}
	return hosts.FindingGraphicsPublic
}

// securityResult rates findings by the host's levels: the worst level, or
// OK with none; UNKNOWN when nothing was found but part could not be read.
func securityResult(h hosts.Host, check string, fs []finding, versions string, problems []string, lat time.Duration, at time.Time) Result {
	slices.SortStableFunc(fs, func(a, b finding) int {
		return slices.Index(hosts.SecurityFindings, a.kind) - slices.Index(hosts.SecurityFindings, b.kind)
	})
	st := OK
	var lines, texts []string
	for _, f := range fs {
		lvl := h.SecurityLevel(f.kind)
		if lvl == "" {
			continue
		}
		s := WARN
		if lvl == "CRIT" {
			s = CRIT
		}
		st = st.Worse(s)
		texts = append(texts, f.text)
		lines = append(lines, fmt.Sprintf("%s %s: %s\n  fix: %s", s, f.kind, f.text, f.remedy))
	}
	if versions != "" {
		lines = append(lines, "versions: "+versions+" ("+noCVEVerdict+")")
	}
	for _, p := range problems {
		lines = append(lines, "not read: "+p)
	}
	var sum string
	switch {
	case len(texts) > 0:
		sum = fmt.Sprintf("%d finding%s: %s", len(texts), plural(len(texts)), strings.Join(texts, "; "))
	case len(problems) > 0:
		st, sum = UNKNOWN, "security posture partly unknown: "+problems[0]
	default:
		sum = "no findings"
		if versions != "" {
			sum += " (" + versions + "; no CVE verdict from versions)"
		}
	}
	var err error
	if len(problems) > 0 {
		err = errors.New("probes: security: " + strings.Join(problems, "; "))
	}
	return newResult(h.Name, check, st, sum, strings.Join(lines, "\n"), err, lat, at)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
