package tui

import (
	"os"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/tui/keys"
)

// The README's key table names every key the help overlay lists.
func TestReadmeKeyTable(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "## Console keys")
	if start < 0 {
		t.Fatal("README has no Console keys section")
	}
	section := text[start:]
	if end := strings.Index(section[3:], "\n## "); end > 0 {
		section = section[:end+3]
	}
	bound := map[string]bool{}
	for _, b := range keys.Default() {
		for _, k := range b.Key.Keys() {
			bound[k] = true
			if !strings.Contains(section, "`"+k+"`") {
				t.Errorf("README key table lacks `%s` (%s)", k, b.Key.Help().Desc)
			}
		}
	}
	// and the other way round: each key a row starts with is one ? lists
	for _, row := range strings.Split(section, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 3 || !strings.Contains(cells[1], "`") {
			continue
		}
		for i, part := range strings.Split(cells[1], "`") {
			if i%2 == 1 && !bound[part] {
				t.Errorf("README key table lists `%s`, which the keymap (and so ?) does not have", part)
			}
		}
	}
}

// The README's screenshot is the golden view, line for line.
func TestReadmeScreenshot(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	shot, err := os.ReadFile("testdata/TestGoldenIncidents/backup_failure_80x24.golden")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimRight(string(shot), "\n"), "\n") {
		want = append(want, strings.TrimRight(l, " "))
	}
	if !strings.Contains(string(readme), "```\n"+strings.Join(want, "\n")+"\n```") {
		t.Fatal("README's 80x24 screenshot differs from backup_failure_80x24.golden (copy it over)")
	}
}
