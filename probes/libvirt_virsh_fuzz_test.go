package probes

import (
	"errors"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

func FuzzParseVirshVersion(f *testing.F) {
	for _, s := range []string{virshVersionOut, "Running against daemon: 9.0.0\n", "Running hypervisor: A B 1.2.3\n", "x: 1.2.3.4\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		v, err := remote.ParseVirshVersion(out)
		if err != nil {
			if !errors.Is(err, remote.ErrUnparseable) {
				t.Fatalf("error %v is not ErrUnparseable", err)
			}
			return
		}
		if !strings.Contains(out, "Running against daemon: ") {
			t.Fatalf("accepted %q without a daemon line", out)
		}
		if remote.FormatVersion(v.LibVersion) == "" {
			t.Fatal("empty version")
		}
	})
}

func FuzzParseVirshDomStats(f *testing.F) {
	for _, s := range []string{virshStatsOut, "", "Domain: 'a'\n  state.state=1\n  state.reason=0\n", "Domain: ''x'\n  state.state=-1\n  state.reason=99\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		doms, err := remote.ParseVirshDomStats(out)
		if err != nil {
			if !errors.Is(err, remote.ErrUnparseable) {
				t.Fatalf("error %v is not ErrUnparseable", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, d := range doms {
			if seen[d.Name] || strings.Contains(d.Name, "\n") {
				t.Fatalf("bad or repeated name %q", d.Name)
			}
			seen[d.Name] = true
			if s, r := libvirtStateWords(d.State, d.Reason); s == "" || r == "" {
				t.Fatalf("no words for %+v", d)
			}
		}
		if len(doms) > strings.Count(out, "Domain: '") {
			t.Fatalf("%d domains from %d headers", len(doms), strings.Count(out, "Domain: '"))
		}
	})
}

func FuzzParseVirshNamesAndHostname(f *testing.F) {
	for _, s := range []string{virshAutoOut, "\n", "lab25\n", "a\x00\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		names, err := remote.ParseVirshNames(out)
		if err == nil {
			for n := range names {
				if n == "" || strings.ContainsAny(n, "\n\x00") {
					t.Fatalf("bad name %q", n)
				}
			}
		} else if !errors.Is(err, remote.ErrUnparseable) {
			t.Fatalf("error %v is not ErrUnparseable", err)
		}
	})
}
