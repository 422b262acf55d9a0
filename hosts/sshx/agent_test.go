package sshx

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// hungAgent serves a unix socket that accepts connections and never
// answers, like an ssh-agent that is stopped or wedged. It returns the
// socket path and how many connections it accepted so far.
func hungAgent(t *testing.T) (string, func() int) {
	t.Helper()
	path := filepath.Join(shortTempDir(t), "agent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return path, silent(t, ln)
}

// A hung ssh-agent neither serializes dials nor holds them past their
// deadline: hosts that can log in with an identity file all connect within
// their connect timeout, the agent is asked once, and its failure is
// remembered so later dials do not wait on it again.
func TestHungAgentDoesNotHoldDials(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	kh := f.trust(t, "kh", s)
	sock, accepted := hungAgent(t)
	p := newPool(t, Options{Getenv: func(k string) string {
		if k == "SSH_AUTH_SOCK" {
			return sock
		}
		return ""
	}})
	const timeout = 2 * time.Second
	connect := func(name string) error {
		tg := f.target(name, s, kh)
		tg.UseAgent, tg.ConnectTimeout = true, timeout
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		defer cancel()
		_, err := p.Get(ctx, tg)
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = connect(fmt.Sprintf("h%d", i)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("host h%d with a hung agent: %v", i, err)
		}
	}
	if err := connect("late"); err != nil {
		t.Fatalf("a dial after the agent failed: %v", err)
	}
	if n := accepted(); n != 1 {
		t.Fatalf("the hung agent was dialed %d times, want once (its failure cached)", n)
	}
}
