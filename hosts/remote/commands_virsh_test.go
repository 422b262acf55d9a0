package remote

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVirshURI(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"qemu:///system", "qemu:///system", true},
		{"qemu:///session", "qemu:///session", true},
		{"qemu+unix:///system", "qemu+unix:///system", true},
		{"qemu:///system?socket=/run/libvirt/virtqemud-sock", "qemu:///system?socket=/run/libvirt/virtqemud-sock", true},
		{"test:///etc/libvirt/node.xml", "test+unix:///etc/libvirt/node.xml", true},
		{"test:///default", "test+unix:///default", true},
		{"test+unix:///default", "test+unix:///default", true},
		{"lxc:///", "lxc:///", true},
		{"qemu+ssh://other/system", "", false},
		{"qemu+tcp:///system", "", false},
		{"qemu://host/system", "", false},
		{"vbox:///session", "", false},
		{"qemu:///system'; rm -rf /; '", "", false},
		{`qemu:///sys"tem`, "", false},
		{"qemu:///sys tem", "", false},
		{"qemu:///sys\ntem", "", false},
		{"qemu:///$(id)", "", false},
		{"QEMU:///system", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := VirshURI(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("VirshURI(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadArgument) {
				t.Errorf("error %v does not wrap ErrBadArgument", err)
			}
		})
	}
}

func TestVirshCommand(t *testing.T) {
	tests := []struct {
		name  string
		uri   string
		q     VirshQuery
		limit time.Duration
		want  string
	}{
		{"version", "qemu:///system", VirshVersion, 5 * time.Second,
			"LC_ALL=C timeout -k 1 5 virsh -r -c 'qemu:///system' version --daemon"},
		{"states via daemon", "test:///etc/libvirt/node.xml", VirshDomStates, 1500 * time.Millisecond,
			"LC_ALL=C timeout -k 1 2 virsh -r -c 'test+unix:///etc/libvirt/node.xml' domstats --state --raw"},
		{"autostart", "qemu:///system", VirshAutostart, time.Millisecond,
			"n=$(LC_ALL=C timeout -k 1 1 virsh -r -c 'qemu:///system' list --all --autostart --name); rc=$?; " +
				`printf '%s\n' "$n" | od -An -v -tx1; (exit $rc)`},
		{"unknown query", "qemu:///system", VirshQuery(99), time.Second, ""},
		{"bad uri", "qemu+ssh://x/system", VirshVersion, time.Second, ""},
		{"zero limit", "qemu:///system", VirshVersion, 0, ""},
		{"huge limit", "qemu:///system", VirshVersion, time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VirshCommand(tt.uri, tt.q, tt.limit)
			if tt.want == "" {
				if !errors.Is(err, ErrBadArgument) {
					t.Fatalf("got %q, %v; want ErrBadArgument", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v\nwant %q", got, err, tt.want)
			}
			if _, err := Batch(got); err != nil {
				t.Errorf("command cannot stand in a batch: %v", err)
			}
		})
	}
}

// Every accepted URI reaches the command as one single-quoted word.
func FuzzVirshCommand(f *testing.F) {
	for _, s := range []string{"qemu:///system", "test:///default", "qemu:///x?socket=/a", "a'b", "qemu:///\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		cmd, err := VirshCommand(uri, VirshDomStates, time.Second)
		if err != nil {
			return
		}
		du, _ := VirshURI(uri)
		if strings.ContainsAny(du, "'\"\\$`;|<>() \t\n\x00") {
			t.Fatalf("URI %q with shell syntax accepted", du)
		}
		if !strings.Contains(cmd, " -c "+ShellQuote(du)+" ") || strings.Count(cmd, "'") != 2 {
			t.Fatalf("URI %q not quoted as one word in %q", du, cmd)
		}
	})
}
