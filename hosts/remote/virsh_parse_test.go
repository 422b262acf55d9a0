package remote

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVirshVersion(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want VirshVersions
		ok   bool
	}{
		{"libvirt 9.0 test driver", "Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\n" +
			"Using API: TEST 9.0.0\nRunning hypervisor: TEST 0.0.2\nRunning against daemon: 9.0.0\n\n",
			VirshVersions{LibVersion: 9000000, HVType: "TEST", HVVersion: 2}, true},
		{"no hypervisor line", "Using API: LXC 10.1.0\nRunning against daemon: 10.1.0\n",
			VirshVersions{LibVersion: 10001000, HVType: "LXC"}, true},
		{"unknown label ignored", "Running against daemon: 1.2.3\nSomething new: x\n", VirshVersions{LibVersion: 1002003}, true},
		{"no daemon", "Using library: libvirt 9.0.0\n", VirshVersions{}, false},
		{"empty", "", VirshVersions{}, false},
		{"bad daemon version", "Running against daemon: 9.0\n", VirshVersions{}, false},
		{"minor too big", "Running against daemon: 9.1000.0\n", VirshVersions{}, false},
		{"negative", "Running against daemon: 9.-1.0\n", VirshVersions{}, false},
		{"bad hypervisor", "Running hypervisor: 8.2.0\nRunning against daemon: 9.0.0\n", VirshVersions{}, false},
		{"unlabelled line", "Running against daemon: 9.0.0\nhello\n", VirshVersions{}, false},
		{"error text", "error: failed to connect to the hypervisor\n", VirshVersions{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVirshVersion(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrUnparseable) {
					t.Errorf("%v is not ErrUnparseable", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseVirshDomStats(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []VirshDomState
		ok   bool
	}{
		{"no domains", "", nil, true},
		{"blank only", "\n\n", nil, true},
		{"lab world", "Domain: 'spare-1'\n  state.state=5\n  state.reason=0\n\nDomain: 'db-1'\n  state.state=1\n  state.reason=0\n\n",
			[]VirshDomState{{"spare-1", 5, 0}, {"db-1", 1, 0}}, true},
		{"quotes in names", "Domain: 'Domain: 'x''\n  state.state=1\n  state.reason=0\n\nDomain: 'odd 'name' ü x'\n  state.reason=2\n  state.state=3\n",
			[]VirshDomState{{"Domain: 'x'", 1, 0}, {"odd 'name' ü x", 3, 2}}, true},
		{"other keys ignored", "Domain: 'a'\n  state.state=1\n  cpu.time=5\n  state.reason=1\n", []VirshDomState{{"a", 1, 1}}, true},
		{"crlf", "Domain: 'a'\r\n  state.state=1\r\n  state.reason=1\r\n", []VirshDomState{{"a", 1, 1}}, true},
		{"missing reason", "Domain: 'a'\n  state.state=1\n\nDomain: 'b'\n  state.state=1\n  state.reason=0\n", nil, false},
		{"missing both at end", "Domain: 'a'\n", nil, false},
		{"repeated state", "Domain: 'a'\n  state.state=1\n  state.state=2\n  state.reason=0\n", nil, false},
		{"value before domain", "  state.state=1\n", nil, false},
		{"no quotes", "Domain: a\n  state.state=1\n  state.reason=0\n", nil, false},
		{"empty quoted", "Domain: ''\n", nil, false},
		{"not a number", "Domain: 'a'\n  state.state=running\n  state.reason=0\n", nil, false},
		{"overflow", "Domain: 'a'\n  state.state=99999999999\n  state.reason=0\n", nil, false},
		{"no equals", "Domain: 'a'\n  state.state 1\n", nil, false},
		{"duplicate", "Domain: 'a'\n  state.state=1\n  state.reason=0\nDomain: 'a'\n  state.state=1\n  state.reason=0\n", nil, false},
		{"error text", "error: failed to connect to the hypervisor\n", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVirshDomStats(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("got %+v, err %v, want ok=%v", got, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrUnparseable) {
				t.Errorf("%v is not ErrUnparseable", err)
			}
			if diff := cmp.Diff(tt.want, got); tt.ok && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseVirshNames(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]bool
		ok   bool
	}{
		{"none", "\n", map[string]bool{}, true},
		{"two", "web-1\nodd 'name'\n\n", map[string]bool{"web-1": true, "odd 'name'": true}, true},
		{"nul", "a\x00b\n", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVirshNames(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); tt.ok && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
