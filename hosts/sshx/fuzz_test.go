package sshx

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
)

// FuzzKnownHostsIndex feeds arbitrary known_hosts contents to the marker
// index and the checker built on it: no input may panic, and every
// indexed line must exist in the input.
func FuzzKnownHostsIndex(f *testing.F) {
	key := newEd25519(f).PublicKey()
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	for _, seed := range []string{
		"",
		"host " + line,
		"@cert-authority *.example.com " + line,
		"@revoked * " + line + "\n# comment\n\n[h]:2222 " + line,
		"@revoked",
		"@cert-authority @revoked x " + line,
		"|1|c2FsdA==|aGFzaA== " + line,
		"@revoked * ssh-ed25519 !!!notbase64",
		"\x00\xff@\t\t",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		idx := newKnownHostsIndex()
		idx.add(data, "f")
		lines := strings.Count(string(data), "\n") + 1
		for ref := range idx.ca {
			if ref.line < 1 || ref.line > lines {
				t.Fatalf("CA line %d outside 1..%d", ref.line, lines)
			}
		}
		for _, ref := range idx.revoked {
			if ref.line < 1 || ref.line > lines {
				t.Fatalf("revoked line %d outside 1..%d", ref.line, lines)
			}
		}
		_ = pinnedAlgorithms(nil, idx)
		_, _ = idx.revokedFor(key)
	})
}

// FuzzSanitize checks that no control character survives sanitize, since
// its output is rendered in the console and stored in results.
func FuzzSanitize(f *testing.F) {
	for _, seed := range []string{"", "plain", "\x1b[31mred\x1b[0m", "a\nb\tc\r", "\u009b2J", "\xff\xfe"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitize(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("sanitize(%q) kept control %U", s, r)
			}
		}
		if utf8.ValidString(s) && utf8.RuneCountInString(out) > utf8.RuneCountInString(s) {
			t.Fatalf("sanitize(%q) grew to %q", s, out)
		}
	})
}
