package sshx

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// knownHostsFile is one known_hosts file parsed once and shared, read-only,
// by every connection checked against it. Plain host patterns are indexed,
// so finding a host's entries costs a map lookup, not a pass over the file:
// with one line per host, N connections would otherwise cost N x N.
//
// Matching follows x/crypto's knownhosts (which follows sshd(8)): a pattern
// without a port means port 22; '*' and '?' match any run and any one
// character; '!' negates; a hashed field (|1|salt|hash) is the HMAC-SHA1 of
// the host as known_hosts spells it. Unlike knownhosts, @cert-authority
// lines vouch only for certificates (see hostkey.go).
type knownHostsFile struct {
	path    string
	entries []hostEntry
	exact   map[string][]int32 // plain pattern ("host" or "[host]:port") -> entries
	general []patternLine      // lines with a wildcard or a negation
	hashed  []hashedLine
	revoked map[string]int // key blob -> line of its @revoked entry

	memoMu sync.Mutex
	memo   map[string][]int32 // host -> matching hashed lines, as hosts are looked up
}

// hostEntry is one plain or @cert-authority line.
type hostEntry struct {
	key  ssh.PublicKey
	line int
	ca   bool
}

type hostPattern struct {
	negate     bool
	host, port string
}

type patternLine struct {
	entry    int32
	patterns []hostPattern
}

type hashedLine struct {
	entry      int32
	salt, hash []byte
}

// errNoValidEntries refuses a file in which no line parses (as knownhosts
// does): it is almost certainly not a known_hosts file.
var errNoValidEntries = errors.New("no valid entries")

// parseKnownHosts parses a file's contents. Lines that do not parse are
// skipped, as OpenSSH and knownhosts skip them, unless none parses.
// Line numbers count every line, blank and comment lines included.
func parseKnownHosts(path string, data []byte) (*knownHostsFile, error) {
	f := &knownHostsFile{path: path, exact: map[string][]int32{}, revoked: map[string]int{}}
	var firstErr error
	valid, n := 0, 0
	for line := range bytes.Lines(data) {
		n++
		line = bytes.Trim(line, " \t\r\n")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := f.addLine(line, n); err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w: line %d: %w", path, errNoValidEntries, n, err)
			}
			continue
		}
		valid++
	}
	if valid == 0 && firstErr != nil {
		return nil, firstErr
	}
	return f, nil
}

func (f *knownHostsFile) addLine(line []byte, n int) error {
	marker, patterns, key, _, _, err := ssh.ParseKnownHosts(line)
	if err != nil {
		return err
	}
	switch {
	case marker == "revoked":
		f.revoked[string(plainKey(key).Marshal())] = n
		return nil
	case line[0] == '@' && marker != "cert-authority":
		return fmt.Errorf("unknown marker @%s", marker)
	case len(patterns) == 0 || strings.HasPrefix(patterns[0], "@"):
		return errors.New("missing host pattern")
	}
	i := int32(len(f.entries))
	if strings.HasPrefix(patterns[0], "|") {
		h, err := parseHashed(strings.Join(patterns, ","))
		if err != nil {
			return err
		}
		h.entry = i
		f.hashed = append(f.hashed, h)
	} else if err := f.addPatterns(i, patterns); err != nil {
		return err
	}
	f.entries = append(f.entries, hostEntry{key: key, line: n, ca: marker == "cert-authority"})
	return nil
}

// addPatterns indexes a line whose patterns are all plain host names, and
// keeps any other line for a pass at lookup.
func (f *knownHostsFile) addPatterns(i int32, fields []string) error {
	var ps []hostPattern
	general := false
	for _, p := range fields {
		if p == "" {
			continue
		}
		hp, err := parsePattern(p)
		if err != nil {
			return err
		}
		general = general || hp.negate || strings.ContainsAny(hp.host, "*?")
		ps = append(ps, hp)
	}
	if general {
		f.general = append(f.general, patternLine{entry: i, patterns: ps})
		return nil
	}
	for _, p := range ps {
		k := hostKey(p.host, p.port)
		if !slices.Contains(f.exact[k], i) {
			f.exact[k] = append(f.exact[k], i)
		}
	}
	return nil
}

// parsePattern reads "host", "[host]:port", "host:port" or "!pattern".
func parsePattern(p string) (hostPattern, error) {
	var hp hostPattern
	if p[0] == '!' {
		hp.negate, p = true, p[1:]
		if p == "" {
			return hp, errors.New("negation without a host name")
		}
	}
	host, port, err := net.SplitHostPort(p)
	switch {
	case err == nil:
		hp.host, hp.port = host, port
	case p[0] == '[':
		return hp, err
	default:
		hp.host, hp.port = p, "22"
	}
	return hp, nil
}

func parseHashed(field string) (hashedLine, error) {
	parts := strings.Split(field, "|")
	if len(parts) != 4 || parts[1] != "1" {
		return hashedLine{}, errors.New("hashed host: want |1|salt|hash")
	}
	salt, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return hashedLine{}, fmt.Errorf("hashed host salt: %w", err)
	}
	hash, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil {
		return hashedLine{}, fmt.Errorf("hashed host hash: %w", err)
	}
	return hashedLine{salt: salt, hash: hash}, nil
}

// hostKey spells host and port as known_hosts does: "host" on port 22,
// "[host]:port" otherwise.
func hostKey(host, port string) string {
	if port == "22" {
		return host
	}
	return "[" + host + "]:" + port
}

// lookup returns the indexes of the entries matching host:port, in file
// order.
func (f *knownHostsFile) lookup(host, port string) []int32 {
	key := hostKey(host, port)
	out := slices.Clone(f.exact[key])
	for _, l := range f.general {
		if matchPatterns(l.patterns, host, port) {
			out = append(out, l.entry)
		}
	}
	out = append(out, f.lookupHashed(key)...)
	slices.Sort(out)
	return slices.Compact(out)
}

// lookupHashed matches key against every hashed line: each has its own
// salt, so there is no index and a first lookup costs one HMAC per hashed
// line. Results are kept per host, so a host costs one pass per version of
// the file, not one per connection.
func (f *knownHostsFile) lookupHashed(key string) []int32 {
	if len(f.hashed) == 0 {
		return nil
	}
	f.memoMu.Lock()
	defer f.memoMu.Unlock()
	if m, ok := f.memo[key]; ok {
		return m
	}
	var out []int32
	var m hostMAC
	host := []byte(key)
	for _, h := range f.hashed {
		if m.matches(h.salt, h.hash, host) {
			out = append(out, h.entry)
		}
	}
	if f.memo == nil {
		f.memo = map[string][]int32{}
	}
	f.memo[key] = out
	return out
}

// hostMAC computes the HMAC-SHA1 of hashed known_hosts lines with one
// reused hash and buffers: a lookup in a file of 10,000 hashed lines makes
// 10,000 of them, and crypto/hmac would allocate a new state for each salt.
type hostMAC struct {
	sha     hash.Hash
	pad     [sha1.BlockSize]byte
	in, out [sha1.Size]byte
}

// matches reports whether HMAC-SHA1(salt, host) == want.
func (m *hostMAC) matches(salt, want, host []byte) bool {
	if len(salt) > sha1.BlockSize { // never written by ssh-keygen; the slow path is fine
		mac := hmac.New(sha1.New, salt)
		mac.Write(host)
		return hmac.Equal(mac.Sum(nil), want)
	}
	if m.sha == nil {
		m.sha = sha1.New()
	}
	const ipad, opad = 0x36, 0x5c
	for i := range m.pad {
		m.pad[i] = ipad
		if i < len(salt) {
			m.pad[i] ^= salt[i]
		}
	}
	m.sha.Reset()
	m.sha.Write(m.pad[:])
	m.sha.Write(host)
	inner := m.sha.Sum(m.in[:0])
	for i := range m.pad {
		m.pad[i] ^= ipad ^ opad
	}
	m.sha.Reset()
	m.sha.Write(m.pad[:])
	m.sha.Write(inner)
	return hmac.Equal(m.sha.Sum(m.out[:0]), want)
}

// matchPatterns is sshd's rule: some pattern matches and no negated one.
func matchPatterns(ps []hostPattern, host, port string) bool {
	matched := false
	for _, p := range ps {
		if p.port != port || !wildcardMatch(p.host, host) {
			continue
		}
		if p.negate {
			return false
		}
		matched = true
	}
	return matched
}

// wildcardMatch matches s against a pattern where '*' is any run of
// characters (separators included) and '?' any one byte.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// revokedLine returns the line of a @revoked entry for key, or 0.
func (f *knownHostsFile) revokedLine(key ssh.PublicKey) int {
	return f.revoked[string(plainKey(key).Marshal())]
}

// plainKey is the key a certificate certifies, or key itself.
func plainKey(key ssh.PublicKey) ssh.PublicKey {
	if cert, ok := key.(*ssh.Certificate); ok {
		return cert.Key
	}
	return key
}
