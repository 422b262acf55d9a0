package sshx

import (
	"errors"
	"testing"
)

// A pooled connection outlives a key change on the server; VerifyHostKey
// sees it on a fresh handshake, without authenticating.
func TestVerifyHostKey(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	// rotated stands for s after a restart with new keys: known_hosts holds
	// s's key for both addresses, and the re-check is pointed at rotated.
	rotated := newTestServer(t)
	known := writeFile(t, f.dir, "known_hosts", hostLine(s.addr, s.hostKeys[0].PublicKey())+"\n"+
		hostLine(rotated.addr, s.hostKeys[0].PublicKey()))
	p := newPool(t, Options{})
	target := f.target("kvm-01", s, known)
	if err := p.VerifyHostKey(t.Context(), target); err != nil {
		t.Fatalf("no pooled connection: %v, want nil (nothing to re-check)", err)
	}
	if _, err := p.Get(t.Context(), target); err != nil {
		t.Fatal(err)
	}
	offered := len(s.offeredKeys())
	if err := p.VerifyHostKey(t.Context(), target); err != nil {
		t.Fatalf("same key: %v", err)
	}
	if n := len(s.offeredKeys()); n != offered {
		t.Fatalf("the re-check authenticated (%d keys offered, was %d)", n, offered)
	}
	// The host now answers with a key known_hosts does not hold for it.
	after := target
	after.Port = rotated.port
	err := p.VerifyHostKey(t.Context(), after)
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) || !errors.Is(err, ErrHostKey) {
		t.Fatalf("changed key: %v, want *HostKeyMismatchError", err)
	}
	if _, err := p.Get(t.Context(), target); err != nil {
		t.Fatalf("the pooled connection itself is the caller's to drop: %v", err)
	}
}
