package hosts

import (
	"errors"
	"strings"
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

// TestSuggestions: a mistyped host, tag or key gets the nearest names.
func TestSuggestions(t *testing.T) {
	cfg := &Config{Hosts: []Host{{Name: "kvm-01", Tags: []string{"rack-a"}}, {Name: "kvm-02"}, {Name: "kvm-10"}, {Name: "bastion"}}}
	tests := []struct {
		names, tags []string
		want        string
	}{
		{[]string{"kvm-1"}, nil, `hosts: unknown host "kvm-1": did you mean "kvm-01" or "kvm-10"?`},
		{[]string{"bastoin"}, nil, `hosts: unknown host "bastoin": did you mean "bastion"?`},
		{[]string{"web-01"}, nil, `hosts: unknown host "web-01"`},
		{nil, []string{"rack-b"}, `hosts: no host has tag "rack-b": did you mean "rack-a"?`},
	}
	for _, tc := range tests {
		_, err := cfg.Select(tc.names, tc.tags)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Select(%v, %v) = %v, want %s", tc.names, tc.tags, err, tc.want)
		}
	}
	keys := []struct{ path, want string }{
		{"hosts[3].adress", "address"},
		{"defaults.identity_file", "identity_files"},
		{"hosts[0].backups[1].max_agee", "max_age"},
		{"serve.lisen", "listen"},
		{"adress", ""},
		{"defaults.zzzzzzzz", ""},
	}
	for _, k := range keys {
		if got := nearest(k.path[strings.LastIndex(k.path, ".")+1:], keysAt(k.path)); got != k.want {
			t.Errorf("nearest key for %s = %q, want %q", k.path, got, k.want)
		}
	}
}

// TestResolvePathFrom says which rule chose the file.
func TestResolvePathFrom(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		flag       string
		env        map[string]string
		path, from string
	}{
		{"/f", nil, "/f", "--config"},
		{"", map[string]string{"HVCONSOLE_CONFIG": "/e"}, "/e", "$HVCONSOLE_CONFIG"},
		{"", map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/hvconsole/config.toml", "$XDG_CONFIG_HOME"},
		{"", map[string]string{"HOME": "/h"}, "/h/.config/hvconsole/config.toml", "the default"},
	} {
		if p, from := ResolvePathFrom(tc.flag, env(tc.env)); p != tc.path || from != tc.from {
			t.Errorf("ResolvePathFrom(%q, %v) = %s, %s; want %s, %s", tc.flag, tc.env, p, from, tc.path, tc.from)
		}
	}
}
