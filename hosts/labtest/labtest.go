// Package labtest gives integration tests access to the real test lab that
// lab/lab.sh starts: fake hypervisor hosts, each with its own OpenSSH sshd
// and libvirtd at 127.77.0.N:22.
//
// It is imported only by _test.go files. A test calls Require to get the
// lab (skipped when the lab is absent, fatal when HVLAB_REQUIRE=1 as in CI),
// then drives faults through the Lab methods, each of which registers a
// cleanup that leaves the host healthy again for the next test.
//
// Host numbers are reserved per package so that packages tested in parallel
// never touch the same host: hosts/sshx 1-4 (1: a partition found by the
// TCP keepalive), probes 5-10, cmd/hvconsole
// 11-16 (15-16 for the console in tmux), actions 17-20, probes 21
// (backups), 22 (push detection), 23 (resources and storage), cmd 24
// (Hyper-V stand-in), 25 (sshd without socket forwarding), 26 (its
// control host), probes 27 (security check: a host given a weak posture),
// 28 (security check: a clean host) and 29 (security check on a Hyper-V
// stand-in), 30 (restore drills), cmd 31-32 for `hvconsole serve` with
// Prometheus and Alertmanager (31 faulted, 32 its healthy control) and
// 33-34 for attached consoles, cmd 35-36 (hosts reached only by their
// ssh_config alias, 36 through 35 as its ProxyJump; also the Ansible
// import test), probes/reliability 37-44 (network-fault scenarios and the
// chaos soak), cmd 45 (the drill command), 46-47 for VM actions (46
// libvirt, used by actions, cmd and the probes' boot drill test: the test
// driver keeps each connection's changes to itself, so they cannot
// interfere; 47 the actions' Hyper-V stand-in), tui/shell 48-49 (the s key's ssh argv
// against real OpenSSH: 48 behind 49 as its jump host). lab/test-all.sh
// starts 49 hosts.
package labtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DefaultDir is the lab's state directory when HVLAB_DIR is not set.
const DefaultDir = "/tmp/hvlab"

// VerbTimeout bounds every lab.sh call a test makes; starting libvirtd under
// load takes a few seconds, anything longer means the lab is broken.
const VerbTimeout = 60 * time.Second

// LibvirtURI is the libvirt URI of every lab host's test-driver world.
const LibvirtURI = "test:///etc/libvirt/node.xml"

// ErrNoLab is returned by Open when no lab is up in the directory.
var ErrNoLab = errors.New("labtest: no lab is up")

// HostInfo is one lab host as the inventory knows it.
type HostInfo struct {
	// Name is the inventory name, e.g. "lab05".
	Name string
	// Number is N in 127.77.0.N.
	Number int
	// Address is the host's loopback address, e.g. "127.77.0.5".
	Address string
	// Port is the host's sshd port (22).
	Port int
}

// Lab is a running lab, read from its state directory.
type Lab struct {
	// Dir is the state directory (HVLAB_DIR).
	Dir string
	// ConfigPath is the hvconsole inventory covering every lab host.
	ConfigPath string
	// KnownHosts holds each host's ed25519 and ecdsa keys.
	KnownHosts string
	// IdentityFile is the client's private key (ed25519, no passphrase).
	IdentityFile string
	// Script is the lab.sh that runs the fault verbs.
	Script string

	hosts map[int]HostInfo
}

// Require returns the lab for a test. When the lab is absent the test is
// skipped, unless HVLAB_REQUIRE=1, in which case it fails: CI must never
// pass by skipping the integration tests.
func Require(t testing.TB) *Lab {
	t.Helper()
	dir := os.Getenv("HVLAB_DIR")
	if dir == "" {
		dir = DefaultDir
	}
	l, err := Open(dir)
	if err != nil {
		if os.Getenv("HVLAB_REQUIRE") == "1" {
			t.Fatalf("lab required (HVLAB_REQUIRE=1): %v", err)
		}
		t.Skipf("%v (start it with lab/lab.sh up)", err)
	}
	return l
}

// Open reads the lab in dir. It fails with ErrNoLab when dir holds no
// inventory or host table.
func Open(dir string) (*Lab, error) {
	l := &Lab{
		Dir:          dir,
		ConfigPath:   filepath.Join(dir, "config.toml"),
		KnownHosts:   filepath.Join(dir, "known_hosts"),
		IdentityFile: filepath.Join(dir, "id_ed25519"),
	}
	for _, f := range []string{l.ConfigPath, l.KnownHosts, l.IdentityFile} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w in %s: %w", ErrNoLab, dir, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "hosts.tsv"))
	if err != nil {
		return nil, fmt.Errorf("%w in %s: %w", ErrNoLab, dir, err)
	}
	if l.hosts, err = ParseHostTable(data); err != nil {
		return nil, err
	}
	if l.Script, err = findScript(); err != nil {
		return nil, err
	}
	return l, nil
}

// ParseHostTable parses the lab's hosts.tsv: tab-separated name, number,
// address, sshd pid file, libvirtd pid file, mount-namespace inode; lines
// starting with # are comments.
func ParseHostTable(data []byte) (map[int]HostInfo, error) {
	hosts := make(map[int]HostInfo)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) < 3 {
			return nil, fmt.Errorf("labtest: hosts.tsv line %d: %d fields, want 6", line, len(f))
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 || n > 254 {
			return nil, fmt.Errorf("labtest: hosts.tsv line %d: bad host number %q", line, f[1])
		}
		if _, dup := hosts[n]; dup {
			return nil, fmt.Errorf("labtest: hosts.tsv line %d: host %d listed twice", line, n)
		}
		hosts[n] = HostInfo{Name: f[0], Number: n, Address: f[2], Port: 22}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("labtest: hosts.tsv: %w", err)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%w: hosts.tsv lists no host", ErrNoLab)
	}
	return hosts, nil
}

// findScript locates lab/lab.sh from the working directory (go test runs in
// the package folder) by walking up to the module root.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("labtest: %w", err)
	}
	for range 32 {
		s := filepath.Join(dir, "lab", "lab.sh")
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(s); err != nil {
				return "", fmt.Errorf("labtest: module root %s has no lab/lab.sh: %w", dir, err)
			}
			return s, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("labtest: lab/lab.sh not found above the working directory")
}

// Len is the number of hosts in the lab.
func (l *Lab) Len() int { return len(l.hosts) }

// Host returns host n (1-based, as in 127.77.0.n). The lab names hosts by
// number, so the answer is known even for a host the lab lacks: connecting
// to it then fails, and Has tells in advance.
func (l *Lab) Host(n int) HostInfo {
	if h, ok := l.hosts[n]; ok {
		return h
	}
	return HostInfo{Name: fmt.Sprintf("lab%02d", n), Number: n, Address: fmt.Sprintf("%s.%d", Net(), n), Port: 22}
}

// Has reports whether the lab runs host n.
func (l *Lab) Has(n int) bool {
	_, ok := l.hosts[n]
	return ok
}

// Net is the first three octets of the lab hosts' addresses: HVLAB_NET, as
// lab.sh reads it, or 127.77.0.
func Net() string {
	if n := os.Getenv("HVLAB_NET"); n != "" {
		return n
	}
	return "127.77.0"
}
