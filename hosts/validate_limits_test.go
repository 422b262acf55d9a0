package hosts

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResourceLimits(t *testing.T) {
	doc := `
[defaults]
image_paths = ["/var/lib/libvirt/images", "/srv/vm images"]
mem_free_warn = "20%"
disk_use_crit = "97.5%"
load_per_cpu_warn = 3

[[hosts]]
name = "inherits"
address = "h1"

[[hosts]]
name = "overrides"
address = "h2"
image_paths = []
mem_free_warn = "8%"
mem_free_crit = "2%"
disk_use_warn = "1%"
disk_use_crit = "100%"
load_per_cpu_warn = 0.5
checks = ["resources", "storage"]
`
	cfg := mustLoad(t, doc, hermetic())
	tests := []struct {
		host string
		want func(h *Host)
	}{
		{"inherits", func(h *Host) {
			h.ImagePaths = []string{"/var/lib/libvirt/images", "/srv/vm images"}
			h.MemFreeWarn, h.DiskUseCrit, h.LoadPerCPUWarn = 20, 97.5, 3
		}},
		{"overrides", func(h *Host) {
			h.ImagePaths = []string{}
			h.MemFreeWarn, h.MemFreeCrit, h.DiskUseWarn, h.DiskUseCrit, h.LoadPerCPUWarn = 8, 2, 1, 100, 0.5
			h.Checks = []string{CheckResources, CheckStorage}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			want := builtinHost(tc.host, cfg.Hosts[i].Address)
			tc.want(&want)
			if diff := cmp.Diff(want, cfg.Hosts[i]); diff != "" {
				t.Errorf("host (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResourceLimitProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"percent without sign", "[defaults]\nmem_free_warn = \"10\"\n",
			[]string{`2:17 defaults.mem_free_warn | invalid percentage "10"`}},
		{"percent over 100", host1 + "disk_use_crit = \"101%\"\n",
			[]string{`4:17 hosts[0].disk_use_crit | out of range 0%-100%`}},
		{"negative percent", "[defaults]\ndisk_use_warn = \"-5%\"\n",
			[]string{`2:17 defaults.disk_use_warn | invalid percentage "-5%"`}},
		{"percent as a number", "[defaults]\nmem_free_crit = 5\n",
			[]string{`2:17 defaults.mem_free_crit | want a string, got an integer`}},
		{"crit above warn", "[defaults]\nmem_free_crit = \"20%\"\n",
			[]string{`2:17 defaults.mem_free_crit | must not be above mem_free_warn`}},
		{"warn written alone, above inherited crit", "[defaults]\ndisk_use_warn = \"99%\"\n",
			[]string{`2:17 defaults.disk_use_warn | disk_use_crit must not be below`}},
		{"inverted pair blamed on the crit key", host1 + "disk_use_warn = \"90%\"\ndisk_use_crit = \"50%\"\n",
			[]string{`5:17 hosts[0].disk_use_crit | must not be below disk_use_warn`}},
		{"load zero", "[defaults]\nload_per_cpu_warn = 0\n",
			[]string{`2:21 defaults.load_per_cpu_warn | out of range`}},
		{"load as a string", "[defaults]\nload_per_cpu_warn = \"2\"\n",
			[]string{`2:21 defaults.load_per_cpu_warn | want a number, got a string`}},
		{"relative image path", "[defaults]\nimage_paths = [\"images\", \"/ok\", \"/a/../b\"]\n",
			[]string{
				`2:16 defaults.image_paths[0] | invalid image path "images"`,
				`2:33 defaults.image_paths[2] | invalid image path "/a/../b"`,
			}},
		{"image path with a newline", "[defaults]\nimage_paths = [\"/a\\nb\"]\n",
			[]string{`2:16 defaults.image_paths[0] | invalid image path`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			matchProblems(t, problemsOf(t, tc.doc, hermetic()), tc.want)
		})
	}
}

// A float key of the wrong type is reported by the lenient pass too, and a
// good float in the same file survives it.
func TestLoadPerCPULenientPass(t *testing.T) {
	doc := "bell = 0\n[defaults]\nload_per_cpu_warn = 1.5\n[[hosts]]\nname = \"a\"\naddress = \"h\"\nload_per_cpu_warn = true\n"
	matchProblems(t, problemsOf(t, doc, hermetic()), []string{
		`1:8 bell | wrong type`,
		`7:21 hosts[0].load_per_cpu_warn | want a number, got a boolean`,
	})
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		bad  string
	}{
		{"10%", 10, ""},
		{"0%", 0, ""},
		{"100%", 100, ""},
		{"7.5%", 7.5, ""},
		{".5%", 0.5, ""},
		{"100.01%", 0, "out of range"},
		{"10", 0, "invalid percentage"},
		{"%", 0, "invalid percentage"},
		{"10 %", 0, "invalid percentage"},
		{"+10%", 0, "invalid percentage"},
		{"1e1%", 0, "invalid percentage"},
		{"NaN%", 0, "invalid percentage"},
		{"Inf%", 0, "invalid percentage"},
		{"0x10%", 0, "invalid percentage"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, why := parsePercent(tc.in)
			if got != tc.want || (tc.bad == "") != (why == "") || !strings.Contains(why, tc.bad) {
				t.Errorf("parsePercent(%q) = %v, %q; want %v, %q", tc.in, got, why, tc.want, tc.bad)
			}
		})
	}
}

func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"10%", "7.5%", "100%", "0%", "1e2%", "-0%", "NaN%", "", "%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, why := parsePercent(s)
		if why != "" {
			if v != 0 {
				t.Fatalf("parsePercent(%q) = %v with a problem %q", s, v, why)
			}
			return
		}
		if math.IsNaN(v) || v < 0 || v > 100 || !strings.HasSuffix(s, "%") {
			t.Fatalf("parsePercent(%q) accepted %v", s, v)
		}
	})
}

func TestSecurityLevels(t *testing.T) {
	doc := "[defaults]\nsecurity_ignore = [\"qemu-root\"]\n" +
		"[[hosts]]\nname = \"a\"\naddress = \"h1\"\n" +
		"[[hosts]]\nname = \"b\"\naddress = \"h2\"\nsecurity_crit = []\nchecks = [\"security\"]\n"
	cfg := mustLoad(t, doc, hermetic())
	a, b := cfg.Hosts[0], cfg.Hosts[1]
	for _, tc := range []struct {
		h       Host
		finding string
		want    string
	}{
		{a, FindingTCPUnauth, "CRIT"}, {a, FindingGraphicsPublic, "CRIT"}, {a, FindingSVirtOff, "WARN"},
		{a, FindingQEMURoot, ""}, {b, FindingTCPUnauth, "WARN"}, {b, FindingQEMURoot, ""},
	} {
		if got := tc.h.SecurityLevel(tc.finding); got != tc.want {
			t.Errorf("host %s: SecurityLevel(%s) = %q, want %q", tc.h.Name, tc.finding, got, tc.want)
		}
	}
	matchProblems(t, problemsOf(t, "[defaults]\nsecurity_crit = [\"tcp-unauth\", \"telnet\"]\nsecurity_ignore = [\"tcp-unauth\"]\n", hermetic()), []string{
		`2:32 defaults.security_crit[1] | unknown security finding "telnet"`,
		`3:19 defaults.security_ignore | security finding "tcp-unauth" is in both`,
	})
}
