package main

import (
	"bytes"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/tui"
)

// The demo's key-change incident turns the host CRIT in the console, while
// the host's pooled connection (made with the old key) lives on: the
// console checks keys again on a fresh handshake.
func TestDemoKeyChangeTurnsHostCrit(t *testing.T) {
	fl, cfg, f, _ := startDemo(t, simfleet.Options{Hosts: 3, HyperV: 0, Quiet: true})
	cfg.HostKeyRecheck = 200 * time.Millisecond // the scheduler reads cfg; Run has not started
	victim := cfg.Hosts[1].Name
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	ctx := t.Context()
	wg.Go(func() { _ = f.sched.Run(ctx) })

	tm := teatest.NewTestModel(t, tui.New(tui.Options{Hosts: cfg.Hosts, NoColor: true, Done: ctx.Done()}, f.sched),
		teatest.WithInitialTermSize(120, 40))
	waitScreen(t, tm, "round ") // every host has reported: connections are pooled
	if err := fl.Host(victim).RotateHostKey(); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, tm, "1 host CRIT: "+victim, "host key changed")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

// waitScreen waits (bounded) until the output holds every one of want.
func waitScreen(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	seen := make([]bool, len(want))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		all := true
		for i, w := range want {
			seen[i] = seen[i] || bytes.Contains(b, []byte(w))
			all = all && seen[i]
		}
		return all
	},
		teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
}
