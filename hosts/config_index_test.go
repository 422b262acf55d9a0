package hosts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIndexPositions(t *testing.T) {
	doc := `bell = true
defaults.port = 22
[defaults]
units = ["a",
  "b"]
[[hosts]]
name = "x"
[[hosts]]
name = "y"
[[hosts.backups]]
path = "/p"
[[hosts]]
backups = [{name = "n", max_age = "1h"}]
"odd.key" = 1
`
	idx := buildIndex([]byte(doc))
	tests := []struct {
		path string
		want Pos
	}{
		{"bell", Pos{1, 8}},
		{"defaults.port", Pos{2, 17}},
		{"defaults", Pos{2, 1}},
		{"defaults.units", Pos{4, 9}},
		{"defaults.units[0]", Pos{4, 10}},
		{"defaults.units[1]", Pos{5, 3}},
		{"hosts[0].name", Pos{7, 8}},
		{"hosts[1].name", Pos{9, 8}},
		{"hosts[1].backups[0].path", Pos{11, 8}},
		{"hosts[1].backups[0].max_age", Pos{10, 3}}, // missing: its table
		{"hosts[2].backups[0].max_age", Pos{13, 35}},
		{"hosts[2].backups[0].min_size", Pos{13, 12}},
		{`hosts[2]."odd.key"`, Pos{14, 13}},
		{"nothing.here", Pos{}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := idx.lookup(tc.path); got != tc.want {
				t.Errorf("lookup(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}

func TestParentPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a.b", "a"},
		{"a[3]", "a"},
		{"a[3].b[0]", "a[3].b"},
		{`a."x.y"`, "a"},
		{`"x.y"`, ""},
		{"a", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, _ := parentPath(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parentPath(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}
