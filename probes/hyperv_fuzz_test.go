package probes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Fuzz targets for the Hyper-V parsers, seeded with every fixture of their
// script. Garbage must give an error wrapping ErrUnparseable, never a panic;
// what parses must rate to results whose text is clean.

func seedHyperV(f *testing.F, prefix string) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "hyperv", prefix+"*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no %s fixtures: %v", prefix, err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("")
	f.Add("{}")
	f.Add(`{"VMs":{"value":{"value":[]},"Count":1}}`)
	f.Add("{\"OS\":\"\x1b[31mred\",\"Error\":\"a\u202eb\"}")
}

// wantClean fails when a result's text still holds a control character.
func hvWantClean(t *testing.T, r Result) {
	t.Helper()
	for _, s := range []string{r.Summary, r.Details, r.Err} {
		if remote.Clean(s) != s || strings.ContainsRune(s, 0x1b) {
			t.Fatalf("unclean text %q in %+v", s, r)
		}
	}
	if strings.ContainsAny(r.Summary, "\n\t") {
		t.Fatalf("multi-line summary %q", r.Summary)
	}
}

func hvWantUnparseable(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, remote.ErrUnparseable) {
		t.Fatalf("error %v does not wrap ErrUnparseable", err)
	}
}

func FuzzParseHyperVHostFacts(f *testing.F) {
	seedHyperV(f, "hypervisor_")
	f.Fuzz(func(t *testing.T, out string) {
		facts, err := remote.ParseHyperVHostFacts(out)
		hvWantUnparseable(t, err)
		if err == nil {
			hvWantClean(t, hyperVHypervisorResult("hv", facts, 0, hvNow))
		}
	})
}

func FuzzParseHyperVVMs(f *testing.F) {
	seedHyperV(f, "vms_")
	f.Fuzz(func(t *testing.T, out string) {
		facts, err := remote.ParseHyperVVMs(out)
		hvWantUnparseable(t, err)
		if err != nil {
			return
		}
		hvWantClean(t, hyperVVMsResult("hv", facts, 0, hvNow))
		for _, v := range facts.VMs {
			if v.State == "" || remote.CleanLine(v.Name) != v.Name {
				t.Fatalf("VM %+v", v)
			}
		}
	})
}

func FuzzParseHyperVResources(f *testing.F) {
	seedHyperV(f, "resources_")
	f.Fuzz(func(t *testing.T, out string) {
		facts, err := remote.ParseHyperVResources(out)
		hvWantUnparseable(t, err)
		if err == nil {
			r, _ := hyperVResourcesResult(hosts.Host{Name: "hv"}, facts, 0, hvNow)
			hvWantClean(t, r)
		}
	})
}

func FuzzParseHyperVBackups(f *testing.F) {
	seedHyperV(f, "backups_")
	spec := hosts.Backup{Name: "b", Path: `D:\B\*`, MaxAge: 3600e9, Verify: remote.VerifySHA256, WSB: true, MinCount: 2}
	f.Fuzz(func(t *testing.T, out string) {
		facts, err := remote.ParseHyperVBackups(out)
		hvWantUnparseable(t, err)
		if err != nil {
			return
		}
		for _, br := range []BackupResult{rateHyperVBackup(spec, facts, nil, hvNow), rateWSB(spec, facts, nil, hvNow)} {
			if remote.CleanLine(br.Summary) != br.Summary || remote.Clean(br.Err) != br.Err || remote.CleanLine(br.Newest) != br.Newest {
				t.Fatalf("unclean backup result %+v", br)
			}
		}
	})
}
