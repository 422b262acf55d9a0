package sshx

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// FuzzKnownHosts feeds arbitrary known_hosts contents to the parser: no
// input may panic, every entry's line exists, and for inputs in the common
// subset (no '*', whose trailing match knownhosts gets wrong, and no
// whitespace but spaces and tabs inside lines) the entries found for a few
// addresses are exactly those x/crypto's knownhosts finds.
func FuzzKnownHosts(f *testing.F) {
	key := newEd25519(f).PublicKey()
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	for _, seed := range []string{
		"",
		"host " + line,
		"@cert-authority *.example.com " + line,
		"@revoked * " + line + "\n# comment\n\n[h]:2222 " + line,
		"@revoked",
		"@cert-authority @revoked x " + line,
		knownhosts.HashHostname("h") + " " + line,
		"|1|c2FsdA==|aGFzaA== " + line,
		"h,!10.0.0.1,10.0.0.? " + line,
		",h:2222 " + line,
		"@revoked * ssh-ed25519 !!!notbase64",
		"\x00\xff@\t\t",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := parseKnownHosts("f", data)
		if err != nil {
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range kf.entries {
			if e.line < 1 || e.line > lines {
				t.Fatalf("entry line %d outside 1..%d", e.line, lines)
			}
		}
		if bytes.ContainsAny(data, "*\v\f") || bytes.Contains(data, []byte("\r")) || len(data) > 4096 {
			return
		}
		compareWithKnownhosts(t, data, kf)
	})
}

// compareWithKnownhosts checks that kf finds, for a few addresses, the
// lines x/crypto's knownhosts finds (the Want of a mismatch).
func compareWithKnownhosts(t *testing.T, data []byte, kf *knownHostsFile) {
	path := filepath.Join(t.TempDir(), "kh")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cb, err := knownhosts.New(path)
	if err != nil {
		t.Fatalf("knownhosts refuses what we parse: %v", err)
	}
	probe := newEd25519(t).PublicKey()
	for _, addr := range []string{"h:22", "h:2222", "10.0.0.1:22", "10.0.0.12:22", "[::1]:22", "[::1]:2200"} {
		var want []int
		var keyErr *knownhosts.KeyError
		if errors.As(cb(addr, &net.TCPAddr{}, probe), &keyErr) {
			for _, k := range keyErr.Want {
				want = append(want, k.Line)
			}
		}
		host, port, _ := net.SplitHostPort(addr)
		var got []int
		for _, i := range kf.lookup(host, port) {
			got = append(got, kf.entries[i].line)
		}
		if !slices.Equal(want, got) {
			t.Fatalf("%s: knownhosts finds lines %v, we find %v", addr, want, got)
		}
	}
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
