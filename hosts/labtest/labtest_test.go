package labtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseHostTable(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[int]HostInfo
		wantErr bool
	}{
		{
			name: "two hosts and a header",
			in: "# name\tnumber\taddress\tsshd_pidfile\tlibvirtd_pidfile\tmntns\n" +
				"lab01\t1\t127.77.0.1\t/a\t/b\t4026532179\n" +
				"lab12\t12\t127.77.0.12\t/a\t/b\t4026532180\n",
			want: map[int]HostInfo{
				1:  {Name: "lab01", Number: 1, Address: "127.77.0.1", Port: 22},
				12: {Name: "lab12", Number: 12, Address: "127.77.0.12", Port: 22},
			},
		},
		{name: "empty", in: "", wantErr: true},
		{name: "only comments", in: "# x\n\n", wantErr: true},
		{name: "too few fields", in: "lab01\t1\n", wantErr: true},
		{name: "bad number", in: "lab01\tone\t127.77.0.1\n", wantErr: true},
		{name: "number out of range", in: "lab00\t0\t127.77.0.0\n", wantErr: true},
		{name: "duplicate", in: "lab01\t1\t127.77.0.1\nlab01\t1\t127.77.0.1\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHostTable([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d hosts, want %d: %v", len(got), len(tc.want), got)
			}
			for n, w := range tc.want {
				if got[n] != w {
					t.Errorf("host %d = %+v, want %+v", n, got[n], w)
				}
			}
		})
	}
}

func FuzzParseHostTable(f *testing.F) {
	f.Add([]byte("lab01\t1\t127.77.0.1\t/a\t/b\t1\n"))
	f.Add([]byte("# c\n\nlab02\t2\t127.77.0.2\n"))
	f.Add([]byte("x\t-1\t\t\n\t\t\t"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hosts, err := ParseHostTable(data)
		if err != nil {
			return
		}
		for n, h := range hosts {
			if n < 1 || n > 254 || h.Number != n || h.Port != 22 {
				t.Fatalf("accepted bad host %d: %+v", n, h)
			}
		}
	})
}

func TestOpenMissingLab(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nolab"))
	if !errors.Is(err, ErrNoLab) {
		t.Fatalf("Open of an empty dir: err = %v, want ErrNoLab", err)
	}
}

func TestHostByNumber(t *testing.T) {
	t.Setenv("HVLAB_NET", "") // the default prefix, whatever lab this shell uses
	l := &Lab{hosts: map[int]HostInfo{3: {Name: "lab03", Number: 3, Address: "127.77.0.3", Port: 22}}}
	if got := l.Host(3); got.Name != "lab03" || !l.Has(3) {
		t.Errorf("Host(3) = %+v, Has = %v", got, l.Has(3))
	}
	if got := l.Host(17); got.Name != "lab17" || got.Address != "127.77.0.17" || got.Port != 22 || l.Has(17) {
		t.Errorf("Host(17) = %+v, Has = %v", got, l.Has(17))
	}
}

// TestLab checks a running lab: its files, its host list, and that a fault
// applied in a subtest is healed when that subtest ends. It uses host 24
// (spare range 21-24).
func TestLab(t *testing.T) {
	lab := Require(t)
	for _, f := range []string{lab.ConfigPath, lab.KnownHosts, lab.IdentityFile, lab.Script} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("lab file %s: %v", f, err)
		}
	}
	cfg, err := os.ReadFile(lab.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= lab.Len(); n++ {
		h := lab.Host(n)
		if !lab.Has(n) || !strings.Contains(string(cfg), `name = "`+h.Name+`"`) {
			t.Errorf("host %d (%+v) missing from the host table or %s", n, h, lab.ConfigPath)
		}
	}
	const spare = 24
	if !lab.Has(spare) {
		t.Skipf("lab has %d hosts; the fault round trip needs host %d", lab.Len(), spare)
	}
	if got := strings.TrimSpace(lab.Exec(t, spare, "hostname")); got != lab.Host(spare).Name {
		t.Errorf("hostname inside host %d = %q, want %q", spare, got, lab.Host(spare).Name)
	}
	t.Run("stopped", func(t *testing.T) {
		lab.Libvirtd(t, "stop", spare)
		_, err := lab.Run(t.Context(), "exec", "24", "systemctl", "is-active", "libvirtd")
		if err == nil {
			t.Error("systemctl is-active libvirtd succeeded after stop")
		}
	})
	if got := strings.TrimSpace(lab.Exec(t, spare, "systemctl", "is-active", "libvirtd")); got != "active" {
		t.Errorf("after the subtest's cleanup libvirtd is %q, want active", got)
	}
}
