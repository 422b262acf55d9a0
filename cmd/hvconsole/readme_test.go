package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes/actions"
)

// The README's check --json sample is the program's document: it decodes
// with no unknown field and encodes back to the same text, field for field
// and in the program's order and indentation.
func TestReadmeCheckJSON(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, "## `check --json`")
	if i < 0 {
		t.Fatal("README has no check --json section")
	}
	start := strings.Index(text[i:], "```json\n")
	end := strings.Index(text[i+start+8:], "\n```")
	if start < 0 || end < 0 {
		t.Fatal("no JSON sample in the check --json section")
	}
	sample := text[i+start+8 : i+start+8+end]
	dec := json.NewDecoder(strings.NewReader(sample))
	dec.DisallowUnknownFields()
	var doc checkJSON
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the README's sample is not the program's document: %v", err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimRight(out.String(), "\n"); got != sample {
		t.Errorf("the program prints the sample differently:\n%s", got)
	}
}

// The README's audit-log samples are audit records as the program writes
// them: each line decodes with no unknown field and encodes back the same.
func TestReadmeAuditRecords(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range strings.Split(string(readme), "```json\n")[1:] {
		block, _, _ = strings.Cut(block, "\n```")
		if !strings.Contains(block, `"phase":`) {
			continue
		}
		for _, line := range strings.Split(block, "\n") {
			dec := json.NewDecoder(strings.NewReader(line))
			dec.DisallowUnknownFields()
			var r actions.Record
			if err := dec.Decode(&r); err != nil {
				t.Errorf("README audit line %s: %v", line, err)
				continue
			}
			if again, _ := json.Marshal(r); string(again) != line {
				t.Errorf("README audit line differs from what the program writes:\n%s\n%s", line, again)
			}
			n++
		}
	}
	if n < 5 {
		t.Errorf("%d audit samples checked, want the intent, outcome, refusal and ack lines", n)
	}
}

// The README's checks table is one table (no blank line breaks it into
// text) with a row for every check a host can run.
func TestReadmeChecksTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Checks\n\n")
	if !ok {
		t.Fatal("README has no Checks section")
	}
	var rows []string
	for _, l := range strings.Split(section, "\n") {
		if !strings.HasPrefix(l, "|") {
			break
		}
		rows = append(rows, l)
	}
	table := strings.Join(rows, "\n")
	for _, c := range []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs, hosts.CheckKVM, hosts.CheckBackups,
		hosts.CheckResources, hosts.CheckStorage, hosts.CheckSecurity} {
		if !strings.Contains(table, "\n| `"+c+"`") {
			t.Errorf("the checks table (%d rows before its first non-row line) has no row for %s", len(rows), c)
		}
	}
}
