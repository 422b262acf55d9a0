package remote

import (
	"errors"
	"strings"
	"testing"
)

func TestDiskUsageCommand(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"one path", []string{"/var/lib/libvirt/images"}, `df -P -B1 -- '/var/lib/libvirt/images'`},
		{"quoted", []string{"/srv/vm images", "/it's"}, `df -P -B1 -- '/srv/vm images' '/it'\''s'`},
		{"no paths", nil, ""},
		{"relative", []string{"images"}, ""},
		{"dot dot", []string{"/a/../etc"}, ""},
		{"newline", []string{"/a\n/b"}, ""},
		{"option-like", []string{"-h"}, ""},
		{"too many", make([]string, maxDiskPaths+1), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DiskUsageCommand(tc.paths)
			if tc.want == "" {
				if !errors.Is(err, ErrBadArgument) {
					t.Errorf("DiskUsageCommand(%q) = %q, %v; want ErrBadArgument", tc.paths, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("DiskUsageCommand(%q) = %q, %v; want %q", tc.paths, got, err, tc.want)
			}
		})
	}
}

// The fixed commands are single lines, so they can stand in a Batch.
func TestResourceCommandsBatch(t *testing.T) {
	df, err := DiskUsageCommand([]string{"/a", "/b"})
	if err != nil {
		t.Fatal(err)
	}
	script, err := Batch(HostLoadCommand, MemInfoCommand, df)
	if err != nil {
		t.Fatal(err)
	}
	_, cmds, ok := UnBatch(script.Script)
	if !ok || strings.Join(cmds, "|") != HostLoadCommand+"|"+MemInfoCommand+"|"+df {
		t.Errorf("UnBatch = %q, %v", cmds, ok)
	}
}

func FuzzDiskUsageCommand(f *testing.F) {
	for _, s := range []string{"/var/lib/libvirt/images", "/it's", "/a b", "/..", "-x", "/a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		cmd, err := DiskUsageCommand([]string{p})
		if err != nil {
			return
		}
		if strings.ContainsAny(cmd, "\n\r\x00") || !strings.HasPrefix(cmd, "df -P -B1 -- '") {
			t.Fatalf("DiskUsageCommand(%q) = %q", p, cmd)
		}
		word, rest, ok := ShellUnquote(strings.TrimPrefix(cmd, "df -P -B1 -- "))
		if !ok || rest != "" || word != p {
			t.Fatalf("DiskUsageCommand(%q) = %q: argument does not round-trip (%q, %q)", p, cmd, word, rest)
		}
	})
}
