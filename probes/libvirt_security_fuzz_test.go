package probes

import (
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

func FuzzParseSecModels(f *testing.F) {
	f.Add(fixture(f, "caps-secmodel-none.xml"))
	f.Add(fixture(f, "caps-apparmor.xml"))
	f.Add("<capabilities><host><secmodel><model>none</model></secmodel></host></capabilities>")
	f.Fuzz(func(t *testing.T, in string) {
		models, err := remote.ParseSecModels(in)
		if err != nil {
			return
		}
		_ = capsFindings(models)
	})
}

func FuzzParseDomainSecurity(f *testing.F) {
	f.Add(fixture(f, "domain-weak.xml"))
	f.Add(fixture(f, "domain-clean.xml"))
	f.Add("<domain><name>a\x1b[31m</name><devices><graphics type='vnc'><listen type='network' network='x'/></graphics></devices></domain>")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := remote.ParseDomainSecurity(in)
		if err != nil {
			return
		}
		if strings.ContainsAny(d.Name, "\x1b\n") {
			t.Errorf("name not cleaned: %q", d.Name)
		}
		for _, g := range d.Graphics {
			_ = graphicsFindings(d.Name, g, remote.ConfigFile{})
		}
	})
}

func FuzzParseSecurityConfig(f *testing.F) {
	for _, n := range []string{"config-weak.txt", "config-clean.txt", "config-socket.txt"} {
		f.Add(fixture(f, n))
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := remote.ParseSecurityConfig(in)
		if err != nil {
			return
		}
		_ = configFindings(c)
	})
}

func FuzzParseHyperVSecurity(f *testing.F) {
	for _, n := range []string{"hyperv-weak.json", "hyperv-clean.json", "hyperv-ps51.json"} {
		f.Add(fixture(f, n))
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := remote.ParseHyperVSecurity(in)
		if err != nil {
			return
		}
		_ = hyperVFindings(s)
		_ = hyperVSecurityProblems(s)
	})
}
