package remote

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseUnitsActive(t *testing.T) {
	two := []string{"libvirtd", "virtlogd"}
	tests := []struct {
		name  string
		units []string
		out   string
		exit  int
		want  []string // states; nil means an error is expected
	}{
		{"active", []string{"libvirtd"}, "active\n", 0, []string{"active"}},
		{"two mixed", two, "active\ninactive\n", 3, []string{"active", "inactive"}},
		{"two mixed, systemd exits 0 when any is active", two, "active\ninactive\n", 0, []string{"active", "inactive"}},
		{"none active but success", two, "inactive\nfailed\n", 0, nil},
		{"failed", []string{"libvirtd"}, "failed\n", 3, []string{"failed"}},
		{"crlf", []string{"libvirtd"}, "activating\r\n", 3, []string{"activating"}},
		{"no trailing newline", []string{"libvirtd"}, "active", 0, []string{"active"}},
		{"empty", []string{"libvirtd"}, "", 0, nil},
		{"too few lines", two, "active\n", 0, nil},
		{"too many lines", []string{"libvirtd"}, "active\nactive\n", 0, nil},
		{"exit disagrees", []string{"libvirtd"}, "active\n", 3, nil},
		{"exit disagrees other way", []string{"libvirtd"}, "inactive\n", 0, nil},
		{"not a word", []string{"libvirtd"}, "Active!\n", 3, nil},
		{"command not found", []string{"libvirtd"}, "sh: systemctl: not found\n", 127, nil},
		{"escape", []string{"libvirtd"}, "\x1b[31mactive\n", 0, nil},
		{"huge word", []string{"libvirtd"}, strings.Repeat("a", 100) + "\n", 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUnitsActive(tt.units, tt.out, tt.exit)
			if tt.want == nil {
				if !errors.Is(err, ErrUnparseable) {
					t.Fatalf("err = %v, want ErrUnparseable (got %v)", err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var states []string
			for i, s := range got {
				states = append(states, s.State)
				if s.Unit != tt.units[i] {
					t.Errorf("unit %d = %q", i, s.Unit)
				}
			}
			if diff := cmp.Diff(tt.want, states); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseUnitsActive(f *testing.F) {
	f.Add("active\n", 0, 1)
	f.Add("active\ninactive\n", 3, 2)
	f.Add("\x00garbage", 127, 1)
	f.Add("", 0, 3)
	f.Fuzz(func(t *testing.T, out string, exit, n int) {
		n = 1 + abs(n)%4
		units := []string{"a", "b", "c", "d"}[:n]
		got, err := ParseUnitsActive(units, out, exit)
		if err != nil {
			if !errors.Is(err, ErrUnparseable) {
				t.Fatalf("error not ErrUnparseable: %v", err)
			}
			return
		}
		if len(got) != n {
			t.Fatalf("%d states for %d units", len(got), n)
		}
		for _, s := range got {
			if !stateWord(s.State) || Clean(s.State) != s.State {
				t.Fatalf("bad state word %q", s.State)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1)
	}
	return n
}

func TestParseKVMFacts(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want *KVMFacts
	}{
		{"intel", "kvm_dev=present\nkvm_access=rw\nkvm_module=kvm_intel\nkvm_module=kvm\n",
			&KVMFacts{DevPresent: true, DevRW: true, Modules: []string{"kvm_intel", "kvm"}}},
		{"absent", "kvm_dev=absent\nkvm_access=denied\n", &KVMFacts{}},
		{"denied amd", "kvm_dev=present\nkvm_access=denied\nkvm_module=kvm_amd\n",
			&KVMFacts{DevPresent: true, Modules: []string{"kvm_amd"}}},
		{"empty", "", nil},
		{"order swapped", "kvm_access=rw\nkvm_dev=present\n", nil},
		{"bad value", "kvm_dev=maybe\nkvm_access=rw\n", nil},
		{"foreign module", "kvm_dev=present\nkvm_access=rw\nkvm_module=evil\n", nil},
		{"extra line", "kvm_dev=present\nkvm_access=rw\nhello\n", nil},
		{"too many lines", "kvm_dev=present\nkvm_access=rw\n" + strings.Repeat("kvm_module=kvm\n", 4), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKVMFacts(tt.out)
			wantParsed(t, got, err, tt.want)
		})
	}
}

// wantParsed checks a parser's answer against want, nil meaning the
// output must be refused as ErrUnparseable.
func wantParsed[T any](t *testing.T, got T, err error, want *T) {
	t.Helper()
	if want == nil {
		if !errors.Is(err, ErrUnparseable) {
			t.Fatalf("err = %v, want ErrUnparseable", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*want, got); diff != "" {
		t.Errorf("parsed (-want +got):\n%s", diff)
	}
}

func TestFormatVersion(t *testing.T) {
	for in, want := range map[uint64]string{9000000: "9.0.0", 8002001: "8.2.1", 2: "0.0.2", 10010999: "10.10.999"} {
		if got := FormatVersion(in); got != want {
			t.Errorf("FormatVersion(%d) = %q, want %q", in, got, want)
		}
	}
}
