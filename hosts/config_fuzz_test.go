package hosts

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzLoad: any bytes give either a config or a *ConfigError whose
// problems all have a reason and positions inside the file; never a panic.
func FuzzLoad(f *testing.F) {
	if ex, err := os.ReadFile("../config.example.toml"); err == nil {
		f.Add(ex)
	}
	for _, s := range []string{
		"",
		host1,
		"bell = 1\nfoo = 2\n[defaults]\nunits = [\"a b\", 3]\n",
		host1 + "jump = \"a\"\n",
		host1 + "jump = \"u@[::1]:22\"\n[[hosts.backups]]\nname=\"b\"\npath=\"/x/*\"\nmax_age=\"1h\"\nmin_size=\"1GiB\"\n",
		"hosts = [1, {name = \"a\"}]\n",
		"[[hosts]]\n[[hosts.backups]]\n[hosts.x]\n",
		"a.\"b.c\".d = [[1], {x = 2}]\n",
		"bell = \n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := dir + "/fuzz.toml"
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadWith(path, hermetic())
		if (cfg == nil) == (err == nil) {
			t.Fatalf("LoadWith = %v, %v: want exactly one", cfg, err)
		}
		if err == nil {
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || len(ce.Problems) == 0 {
			t.Fatalf("LoadWith error %v (%T) is not a non-empty *ConfigError", err, err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range ce.Problems {
			if p.Reason == "" || p.Pos.Line > lines || p.Pos.Line < 0 || (p.Pos.Known() && p.Pos.Col < 1) {
				t.Fatalf("bad problem %+v in a %d-line file", p, lines)
			}
		}
	})
}
