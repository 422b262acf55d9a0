package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// Lab hosts 15-16 belong to the console's end-to-end test.
const (
	labConsoleA = 15
	labConsoleB = 16
)

// tmuxSession runs the real hvconsole binary in a detached tmux session of
// the given size and returns a function that reads the screen.
type tmuxSession struct {
	t    *testing.T
	name string
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hvconsole")
	out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startTmux(t *testing.T, w, h int, env []string, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is needed for the console test (lab/lab.sh install brings it): %v", err)
	}
	s := &tmuxSession{t: t, name: fmt.Sprintf("hvtest-%d", os.Getpid())}
	cmdline := strings.Join(append(env, args...), " ")
	tm := []string{"new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmdline}
	if out, err := exec.Command("tmux", tm...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", s.name).Run() })
	return s
}

func (s *tmuxSession) screen() string {
	out, err := exec.Command("tmux", "capture-pane", "-p", "-t", s.name).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func (s *tmuxSession) keys(keys ...string) {
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", s.name}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
}

// waitFor polls the screen until ok holds or the deadline passes. Polling
// is how a person reads a terminal; the deadline bounds it.
func (s *tmuxSession) waitFor(what string, within time.Duration, ok func(screen string) bool) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), within)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		scr := s.screen()
		if ok(scr) {
			return scr
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("waited %v for %s; screen:\n%s", within, what, scr)
		case <-tick.C:
		}
	}
}

// rowOf returns the screen line of the fleet table naming host.
func rowOf(screen, host string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, host) && (strings.Contains(l, "OK") || strings.Contains(l, "CRIT") ||
			strings.Contains(l, "WARN") || strings.Contains(l, "UNKNOWN")) {
			return l
		}
	}
	return ""
}

func TestConsoleLabEndToEnd(t *testing.T) {
	lab := labtest.Require(t)
	bin := buildBinary(t)
	a, b := lab.Host(labConsoleA).Name, lab.Host(labConsoleB).Name
	cfg := labConfig(t, lab, lab.KnownHosts, []int{labConsoleA, labConsoleB}, nil)
	// A short interval keeps the test quick; the deadline below is one
	// interval plus the probe deadline, with room for a loaded machine.
	data, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "[defaults]\n", "[defaults]\nprobe_interval = \"2s\"\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startTmux(t, 160, 48, []string{"NO_COLOR=1"}, bin, "--config", cfg)

	allOK := func(scr string) bool {
		return strings.Contains(rowOf(scr, a), "OK") && strings.Contains(rowOf(scr, b), "OK")
	}
	s.waitFor("both hosts OK", 30*time.Second, allOK)

	lab.Libvirtd(t, "stop", labConsoleB)
	scr := s.waitFor(b+" CRIT with hypervisor not running", 2*time.Second+4*time.Second+10*time.Second, func(scr string) bool {
		return strings.Contains(rowOf(scr, b), "CRIT") && strings.Contains(scr, "hypervisor not running")
	})
	if !strings.Contains(rowOf(scr, a), "OK") {
		t.Errorf("%s left OK while %s failed:\n%s", a, b, scr)
	}
	// At 160 columns the event log sits beside the host pane; it names the
	// transition and the reason. (A lost libvirt connection is UNKNOWN
	// "checking the link" for the moment the probe that explains it takes,
	// so the CRIT may come from UNKNOWN: the root-cause rule.)
	if !strings.Contains(scr, "→ CRIT") || !strings.Contains(scr, "hypervisor: libvirtd inactive") {
		t.Errorf("the event log shows no transition to CRIT with its cause:\n%s", scr)
	}

	lab.Libvirtd(t, "start", labConsoleB)
	s.waitFor(b+" back to OK", 30*time.Second, allOK)

	s.keys("q")
	s.waitFor("the console to quit", 10*time.Second, func(string) bool {
		return exec.Command("tmux", "has-session", "-t", s.name).Run() != nil
	})
}
