package probes

import (
	"context"
	"testing"
)

func TestMailboxReplacesQueued(t *testing.T) {
	m := newMailbox(0)
	m.put(HostReport{Host: "a", Version: "1"})
	m.put(HostReport{Host: "b", Version: "1"})
	m.put(HostReport{Host: "a", Version: "2"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { m.forward(ctx); close(done) }()
	var got []string
	for range 2 {
		r := within(t, m.out, "report")
		got = append(got, r.Host+r.Version)
	}
	cancel()
	within(t, done, "forward to stop")
	if len(got) != 2 || got[0] != "a2" || got[1] != "b1" {
		t.Errorf("got %v, want [a2 b1]", got)
	}
	if _, open := <-m.out; open {
		t.Error("out not closed")
	}
}
