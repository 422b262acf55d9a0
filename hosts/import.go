package hosts

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// ImportedHost is one host an importer (Ansible, ssh_config) produced,
// already checked against the inventory's rules: every value set here
// validates as written; what could not be mapped is in Comments.
type ImportedHost struct {
	Name          string
	Address       string
	Port          int
	User          string
	IdentityFiles []string
	Hypervisor    string
	Sudo          bool
	Tags          []string
	// Comments are written above the host's keys, one "# " line each:
	// what was not imported and why, never dropped silently.
	Comments []string
}

// WriteInventory writes hosts as a commented hvconsole TOML inventory:
// header lines as comments first, then one [[hosts]] table per host. Every
// string is TOML-quoted and every comment stripped of control characters,
// so nothing imported can break the file or drive a terminal.
func WriteInventory(w io.Writer, header []string, hs []ImportedHost) error {
	var b strings.Builder
	for _, line := range header {
		writeComment(&b, line)
	}
	for _, h := range hs {
		b.WriteString("\n[[hosts]]\n")
		for _, c := range h.Comments {
			writeComment(&b, c)
		}
		fmt.Fprintf(&b, "name = %s\n", TOMLQuote(h.Name))
		if h.Address != "" {
			fmt.Fprintf(&b, "address = %s\n", TOMLQuote(h.Address))
		}
		if h.Port != 0 {
			fmt.Fprintf(&b, "port = %d\n", h.Port)
		}
		if h.User != "" {
			fmt.Fprintf(&b, "user = %s\n", TOMLQuote(h.User))
		}
		if len(h.IdentityFiles) > 0 {
			fmt.Fprintf(&b, "identity_files = %s\n", tomlList(h.IdentityFiles))
		}
		if h.Hypervisor != "" {
			fmt.Fprintf(&b, "hypervisor = %s\n", TOMLQuote(h.Hypervisor))
		}
		if h.Sudo {
			b.WriteString("sudo = true\n")
		}
		if len(h.Tags) > 0 {
			fmt.Fprintf(&b, "tags = %s\n", tomlList(h.Tags))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeComment writes one comment line, each line of a multi-line text
// commented, the characters remote text never shows (remote.Drop:
// controls, bidi and invisible characters) replaced.
func writeComment(b *strings.Builder, s string) {
	for _, line := range strings.Split(s, "\n") {
		line = strings.Map(func(r rune) rune {
			if remote.Drop(r) {
				return '?'
			}
			return r
		}, line)
		if line == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + line + "\n")
	}
}

// TOMLQuote quotes s as a TOML basic string: '"' and '\\' escaped,
// control characters as \uXXXX (invalid UTF-8 becomes U+FFFD), so no
// value can break the file it is written into.
func TOMLQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func tomlList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = TOMLQuote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// importName makes name a valid inventory name: characters outside
// letters, digits, '.', '_' and '-' become '-'. ok is false when nothing
// usable is left.
func importName(name string) (string, bool) {
	if badName(name) == "" {
		return name, true
	}
	out := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return r
		}
		return '-'
	}, name)
	out = strings.TrimLeft(out, "._-")
	if len(out) > 253 {
		out = out[:253]
	}
	return out, badName(out) == ""
}

// uniqueImportNames renames repeats ("kvm-01", "kvm-01-2") so the output
// never holds a duplicate host, noting the rename.
func uniqueImportNames(hs []ImportedHost) {
	seen := map[string]bool{}
	for i := range hs {
		base := hs[i].Name
		for n := 2; seen[hs[i].Name]; n++ {
			hs[i].Name = base + "-" + strconv.Itoa(n)
		}
		if hs[i].Name != base {
			hs[i].Comments = append(hs[i].Comments, "renamed from "+strconv.Quote(base)+": the name was already used")
		}
		seen[hs[i].Name] = true
	}
}

// sortedKeys returns m's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
