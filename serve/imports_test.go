package serve

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hvconsole/hvconsole"

// moduleDeps lists the module's packages that pkg (a path inside the
// module) imports, directly or not, from its non-test files.
func moduleDeps(t *testing.T, pkg string) []string {
	t.Helper()
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		dir := filepath.Join("..", strings.TrimPrefix(strings.TrimPrefix(p, module), "/"))
		bp, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if strings.HasPrefix(imp, module+"/") && !seen[imp] {
				seen[imp] = true
				walk(imp)
			}
		}
	}
	walk(pkg)
	var out []string
	for p := range seen {
		out = append(out, strings.TrimPrefix(p, module+"/"))
	}
	slices.Sort(out)
	return out
}

// The layout rule of the README: cmd -> {tui, serve, attach} -> probes ->
// hosts; serve and attach both consume probes and never import each other
// (their contract is probes/wire); the console never imports either.
func TestImportRule(t *testing.T) {
	for _, tc := range []struct {
		pkg     string
		must    []string
		mustNot []string
	}{
		{"serve", []string{"probes", "probes/wire"}, []string{"attach", "tui", "cmd/hvconsole"}},
		{"attach", []string{"probes", "probes/wire"}, []string{"serve", "tui", "cmd/hvconsole"}},
		{"tui", []string{"probes"}, []string{"serve", "attach", "cmd/hvconsole"}},
		{"probes", nil, []string{"serve", "attach", "tui", "cmd/hvconsole"}},
		{"incident", []string{"probes"}, []string{"serve", "attach", "tui", "cmd/hvconsole"}},
	} {
		deps := moduleDeps(t, module+"/"+tc.pkg)
		for _, p := range tc.must {
			if !slices.Contains(deps, p) {
				t.Errorf("%s does not import %s", tc.pkg, p)
			}
		}
		for _, p := range tc.mustNot {
			for _, d := range deps {
				if d == p || strings.HasPrefix(d, p+"/") {
					t.Errorf("%s imports %s: against the layout rule", tc.pkg, d)
				}
			}
		}
	}
}
