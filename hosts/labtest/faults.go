package labtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// healState remembers which hosts already have a healing cleanup registered
// by which test, so that ten faults on one host heal it once.
var healState = struct {
	sync.Mutex
	done map[healKey]bool
}{done: make(map[healKey]bool)}

type healKey struct {
	t testing.TB
	n int
}

// Run runs a lab.sh verb under ctx and returns its standard output; the
// error carries the script's standard error. It is the building block of
// the fault methods, for tests that expect a verb to fail.
func (l *Lab) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{l.Script}, args...)...)
	cmd.Env = append(os.Environ(), "HVLAB_DIR="+l.Dir)
	// A daemon started by the verb may inherit the pipes: stop waiting for
	// them shortly after the script itself exits.
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("labtest: lab.sh %v: %w: %s", args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

// verb runs a lab.sh verb with VerbTimeout and fails the test on error.
func (l *Lab) verb(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), VerbTimeout)
	defer cancel()
	out, err := l.Run(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Libvirtd applies a fault to host n's libvirtd: "stop", "start" and
// "restart" go through the host's systemctl stand-in; "kill" is SIGKILL,
// "freeze" SIGSTOP and "thaw" SIGCONT. The host is healed when the test ends.
func (l *Lab) Libvirtd(t testing.TB, verb string, n int) {
	t.Helper()
	switch verb {
	case "stop", "start", "restart", "kill", "freeze", "thaw":
	default:
		t.Fatalf("labtest: unknown libvirtd verb %q", verb)
	}
	l.healOnCleanup(t, n)
	l.verb(t, "libvirtd", verb, strconv.Itoa(n))
}

// Sshd applies a fault to host n's sshd: "stop" (SIGTERM; open sessions
// live on), "kill" (SIGKILL), "start", "freeze" (SIGSTOP: new connections
// hang in the handshake), "hang" (SIGSTOP of every sshd of the host, open
// sessions included: a half-open link) and "thaw" (of every sshd). The
// host is healed when the test ends.
func (l *Lab) Sshd(t testing.TB, verb string, n int) {
	t.Helper()
	switch verb {
	case "stop", "start", "kill", "freeze", "hang", "thaw":
	default:
		t.Fatalf("labtest: unknown sshd verb %q", verb)
	}
	l.healOnCleanup(t, n)
	l.verb(t, "sshd", verb, strconv.Itoa(n))
}

// Exec runs a command inside host n's namespaces (as root, with the host's
// /etc/libvirt, /root, systemctl stand-in...) and returns its standard
// output; a non-zero exit fails the test. Use Run("exec", ...) to expect
// failure.
func (l *Lab) Exec(t testing.TB, n int, args ...string) string {
	t.Helper()
	if len(args) == 0 {
		t.Fatal("labtest: Exec needs a command")
	}
	return l.verb(t, append([]string{"exec", strconv.Itoa(n)}, args...)...)
}

// Heal thaws host n's daemons and starts whichever is down. The fault
// methods register it as a cleanup; call it directly mid-test if needed.
func (l *Lab) Heal(t testing.TB, n int) {
	t.Helper()
	l.verb(t, "heal", strconv.Itoa(n))
}

// World replaces host n's test-driver world with xml and restarts its
// libvirtd so it takes effect. The default world and a restarted libvirtd
// are restored when the test ends.
func (l *Lab) World(t testing.TB, n int, xml string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "node.xml")
	if err := os.WriteFile(f, []byte(xml), 0o644); err != nil {
		t.Fatalf("labtest: %v", err)
	}
	t.Cleanup(func() {
		l.cleanupVerb(t, "world", strconv.Itoa(n), "default")
		l.cleanupVerb(t, "heal", strconv.Itoa(n))
		l.cleanupVerb(t, "libvirtd", "restart", strconv.Itoa(n))
	})
	l.verb(t, "world", strconv.Itoa(n), f)
	l.verb(t, "libvirtd", "restart", strconv.Itoa(n))
}

// WriteConfig writes toml as an inventory file in the test's temporary
// folder and returns its path.
func (l *Lab) WriteConfig(t testing.TB, toml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(toml), 0o600); err != nil {
		t.Fatalf("labtest: %v", err)
	}
	return p
}

// healOnCleanup registers, once per test and host, a cleanup that heals
// host n so that one test never leaves a broken host to the next.
func (l *Lab) healOnCleanup(t testing.TB, n int) {
	k := healKey{t: t, n: n}
	healState.Lock()
	defer healState.Unlock()
	if healState.done[k] {
		return
	}
	healState.done[k] = true
	t.Cleanup(func() {
		healState.Lock()
		delete(healState.done, k)
		healState.Unlock()
		l.cleanupVerb(t, "heal", strconv.Itoa(n))
	})
}

// cleanupVerb runs a verb from a cleanup, where t.Context is already done.
func (l *Lab) cleanupVerb(t testing.TB, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), VerbTimeout)
	defer cancel()
	if _, err := l.Run(ctx, args...); err != nil {
		t.Errorf("labtest: restoring the host: %v", err)
	}
}

// NetLatency routes host n's SSH traffic through the lab's fault proxy
// (toxiproxy) and adds rtt to every round trip, with jitter (+/-). Only
// connections opened after the host was first routed are affected: call
// NetRoute before connecting to degrade a connection already open. The
// link is healed and the host routed directly again when the test ends.
func (l *Lab) NetLatency(t testing.TB, n int, rtt, jitter time.Duration) {
	t.Helper()
	l.netVerb(t, n, "latency", rtt.String(), jitter.String())
}

// NetRate caps host n's bandwidth each way (a rate such as "1mbit") through
// the fault proxy; see NetLatency.
func (l *Lab) NetRate(t testing.TB, n int, rate string) {
	t.Helper()
	l.netVerb(t, n, "rate", rate)
}

// NetStall holds every byte to and from host n in the fault proxy, with the
// connections left open, until NetHeal; see NetLatency.
func (l *Lab) NetStall(t testing.TB, n int) {
	t.Helper()
	l.netVerb(t, n, "stall")
}

// NetRoute sends host n's new connections through the fault proxy with no
// fault yet, so later latency or stalls reach them.
func (l *Lab) NetRoute(t testing.TB, n int) {
	t.Helper()
	l.netVerb(t, n, "route")
}

// NetLoss drops pct percent of host n's packets, each way, at random
// (nftables numgen); existing connections are affected at once.
func (l *Lab) NetLoss(t testing.TB, n, pct int) {
	t.Helper()
	l.netVerb(t, n, "loss", strconv.Itoa(pct))
}

// NetPartition drops every packet to and from host n; existing connections
// are affected at once.
func (l *Lab) NetPartition(t testing.TB, n int) {
	t.Helper()
	l.netVerb(t, n, "partition")
}

// NetHeal removes host n's loss, partition and proxy faults, leaving its
// routing as it is (open connections through the proxy live on).
func (l *Lab) NetHeal(t testing.TB, n int) {
	t.Helper()
	l.verb(t, "net", strconv.Itoa(n), "heal")
}

// netVerb registers, once per test and host, a cleanup that heals host n's
// link and routes it directly again, then applies the verb.
func (l *Lab) netVerb(t testing.TB, n int, args ...string) {
	t.Helper()
	k := healKey{t: t, n: -n}
	healState.Lock()
	first := !healState.done[k]
	healState.done[k] = true
	healState.Unlock()
	if first {
		t.Cleanup(func() {
			healState.Lock()
			delete(healState.done, k)
			healState.Unlock()
			l.cleanupVerb(t, "net", strconv.Itoa(n), "heal")
			l.cleanupVerb(t, "net", strconv.Itoa(n), "direct")
		})
	}
	l.verb(t, append([]string{"net", strconv.Itoa(n)}, args...)...)
}

// SshdMaxStartups sets host n's sshd MaxStartups to spec (e.g. "2:100:2":
// beyond two unauthenticated connections new ones are dropped) and restarts
// its listener; the lab's 100:30:200 is restored when the test ends.
func (l *Lab) SshdMaxStartups(t testing.TB, n int, spec string) {
	t.Helper()
	t.Cleanup(func() { l.cleanupVerb(t, "sshd", "limit", strconv.Itoa(n), "100:30:200") })
	l.verb(t, "sshd", "limit", strconv.Itoa(n), spec)
}
