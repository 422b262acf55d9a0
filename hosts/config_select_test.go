package hosts

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolvePath(t *testing.T) {
	tests := []struct {
		name, flag, env, xdg, want string
	}{
		{"flag wins", "/f.toml", "/env.toml", "/xdg", "/f.toml"},
		{"environment", "", "/env.toml", "/xdg", "/env.toml"},
		{"xdg", "", "", "/xdg", "/xdg/hvconsole/config.toml"},
		{"relative xdg ignored", "", "", "rel", "/home/u/.config/hvconsole/config.toml"},
		{"home default", "", "", "", "/home/u/.config/hvconsole/config.toml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HOME", "/home/u")
			t.Setenv("HVCONSOLE_CONFIG", tc.env)
			t.Setenv("XDG_CONFIG_HOME", tc.xdg)
			if got := ResolvePath(tc.flag); got != tc.want {
				t.Errorf("ResolvePath(%q) = %q, want %q", tc.flag, got, tc.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	cfg := &Config{Hosts: []Host{
		{Name: "a", Tags: []string{"dc1", "rack-a"}},
		{Name: "b", Tags: []string{"dc1"}},
		{Name: "c", Tags: []string{"lab"}},
		{Name: "d"},
	}}
	tests := []struct {
		name        string
		names, tags []string
		want        []string
		err         error
	}{
		{name: "all", want: []string{"a", "b", "c", "d"}},
		{name: "by name, inventory order", names: []string{"d", "a"}, want: []string{"a", "d"}},
		{name: "by tag any-of", tags: []string{"lab", "rack-a"}, want: []string{"a", "c"}},
		{name: "names and tags add up", names: []string{"d"}, tags: []string{"dc1"}, want: []string{"a", "b", "d"}},
		{name: "unknown name", names: []string{"a", "zz"}, err: ErrUnknownHost},
		{name: "unknown tag", tags: []string{"dc9"}, err: ErrUnknownTag},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cfg.Select(tc.names, tc.tags)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Select error = %v, want %v", err, tc.err)
			}
			var names []string
			for _, h := range got {
				names = append(names, h.Name)
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("Select (-want +got):\n%s", diff)
			}
		})
	}
}
