package sshx

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"
)

// countingCache is the pool's known_hosts cache on a clock the test moves,
// counting stats.
type countingCache struct {
	mu    sync.Mutex
	now   time.Time
	stats int
}

func useCountingCache(p *Pool) *countingCache {
	c := &countingCache{now: time.Now()}
	p.knownHosts.now = func() time.Time {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.now
	}
	p.knownHosts.stat = func(path string) (os.FileInfo, error) {
		c.mu.Lock()
		c.stats++
		c.mu.Unlock()
		return os.Stat(path)
	}
	return c
}

func (c *countingCache) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *countingCache) statCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// N connections to hosts listed in one known_hosts file parse it once and
// stat it once within the recheck delay: the cost of a connect does not
// grow with the file, so a fleet's cost is linear, not quadratic.
func TestKnownHostsParsedOncePerFile(t *testing.T) {
	const n = 12
	f := newFixture(t)
	servers := make([]*testServer, n)
	lines := []string{"# the fleet"}
	for i := range servers {
		servers[i] = newTestServer(t)
		lines = append(lines, hostLine(servers[i].addr, servers[i].hostKeys[0].PublicKey()))
	}
	kh := writeFile(t, f.dir, "kh", lines...)
	p := newPool(t, Options{})
	cc := useCountingCache(p)
	for i, s := range servers {
		mustGet(t, p, f.target(fmt.Sprintf("h%d", i), s, kh))
	}
	if got := p.knownHosts.parseCount(); got != 1 {
		t.Errorf("%d connections parsed the file %d times, want 1", n, got)
	}
	if got := cc.statCount(); got != 1 {
		t.Errorf("%d connections within the recheck delay stat'ed the file %d times, want 1", n, got)
	}
	cc.advance(knownHostsRecheck)
	p.Reconnect("h0")
	mustGet(t, p, f.target("h0", servers[0], kh))
	if got, stats := p.knownHosts.parseCount(), cc.statCount(); got != 1 || stats != 2 {
		t.Errorf("after the recheck delay, an unchanged file: %d parses, %d stats; want 1 and 2", got, stats)
	}
}

// A known_hosts file fixed on disk is picked up without a restart, once the
// recheck delay has passed; before it, the parsed copy is used.
func TestKnownHostsRereadWhenChanged(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	kh := writeFile(t, f.dir, "kh", hostLine(s.addr, newEd25519(t).PublicKey()))
	p := newPool(t, Options{})
	cc := useCountingCache(p)
	tg := f.target("h1", s, kh)
	var m *HostKeyMismatchError
	if _, err := p.Get(testCtx(t), tg); !errors.As(err, &m) {
		t.Fatalf("err = %v, want *HostKeyMismatchError", err)
	}
	// The operator verifies the new key and fixes the line (a new inode,
	// as editors write).
	fixed := hostLine(s.addr, s.hostKeys[0].PublicKey()) + "\n"
	if err := os.WriteFile(kh+".new", []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(kh+".new", kh); err != nil {
		t.Fatal(err)
	}
	p.Reconnect("h1")
	if _, err := p.Get(testCtx(t), tg); !errors.As(err, &m) {
		t.Fatalf("within the recheck delay err = %v, want the parsed copy's mismatch", err)
	}
	cc.advance(knownHostsRecheck)
	p.Reconnect("h1")
	mustGet(t, p, tg)
	if got := p.knownHosts.parseCount(); got != 2 {
		t.Errorf("parses = %d, want 2", got)
	}
}

// A known_hosts file that disappears refuses the host (strict), and one
// that holds no valid entry is an error naming the line.
func TestKnownHostsFileErrors(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	garbage := writeFile(t, f.dir, "garbage", "", "not a known_hosts line")
	p := newPool(t, Options{})
	_, err := p.Get(testCtx(t), f.target("h1", s, garbage))
	if err == nil || !strings.Contains(err.Error(), "no valid entries: line 2") {
		t.Errorf("garbage file: err = %v", err)
	}
	_, err = p.Get(testCtx(t), f.target("h2", s, garbage+".missing"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func TestKnownHostsLookup(t *testing.T) {
	key := newEd25519(t).PublicKey()
	k := strings.TrimPrefix(hostLine("x:22", key), "x ")
	data := strings.Join([]string{
		"h " + k,                              // 1
		"[h]:2222,other " + k,                 // 2
		"*.example.com,!bad.example.com " + k, // 3
		"10.0.0.? " + k,                       // 4
		knownhosts.HashHostname("[h]:2222") + " " + k, // 5
		"@cert-authority [h]:2222 " + k,               // 6
		"h:2200 " + k,                                 // 7: knownhosts reads host:port too
		"[::1]:2200 " + k,                             // 8
		"!h " + k,                                     // 9: only a negation never matches
	}, "\n")
	f, err := parseKnownHosts("kh", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, port string
		want       []int
	}{
		{"h", "22", []int{1}},
		{"h", "2222", []int{2, 5, 6}},
		{"h", "2200", []int{7}},
		{"other", "22", []int{2}},
		{"a.example.com", "22", []int{3}},
		{".example.com", "22", []int{3}}, // '*' may match nothing, as in sshd
		{"bad.example.com", "22", nil},
		{"10.0.0.7", "22", []int{4}},
		{"10.0.0.17", "22", nil},
		{"::1", "2200", []int{8}},
		{"nowhere", "22", nil},
	}
	for _, tc := range tests {
		var got []int
		for _, i := range f.lookup(tc.host, tc.port) {
			got = append(got, f.entries[i].line)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("lookup(%s, %s) = lines %v, want %v", tc.host, tc.port, got, tc.want)
		}
	}
}

// BenchmarkKnownHostsLookup is the cost of finding a host's entries in a
// 10,000-line file, plain (indexed) and hashed (one HMAC per hashed line,
// kept per host).
func BenchmarkKnownHostsLookup(b *testing.B) {
	const n = 10000
	key := newEd25519(b).PublicKey()
	k := strings.TrimPrefix(hostLine("x:22", key), "x ")
	for _, hashed := range []bool{false, true} {
		var sb strings.Builder
		for i := range n {
			host := fmt.Sprintf("[10.%d.%d.%d]:22%02d", i>>16, i>>8&255, i&255, i%100)
			if hashed {
				host = knownhosts.HashHostname(host)
			}
			sb.WriteString(host + " " + k + "\n")
		}
		f, err := parseKnownHosts("kh", []byte(sb.String()))
		if err != nil {
			b.Fatal(err)
		}
		name := map[bool]string{false: "plain", true: "hashed-first-lookup"}[hashed]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f.memo = nil // a host not looked up before
				if len(f.lookup("10.0.19.136", "2200")) != 1 {
					b.Fatal("not found")
				}
			}
		})
	}
}
