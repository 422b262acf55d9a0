package sshx

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// kdfCtx bounds a dial that decrypts a passphrase-protected key: bcrypt's
// deliberate cost, under the race detector on a busy 2-core machine, has
// taken over 10 s, so it gets more room than an ordinary test dial.
func kdfCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 6*waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func TestPassphraseProtectedKey(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	kh := f.trust(t, "kh", s)
	pass := []byte("correct horse")
	keyFile, signer := writeKey(t, f.dir, "id_enc", pass, false)
	s.authorize(signer.PublicKey())

	tests := []struct {
		name       string
		passphrase func(string) ([]byte, error)
		wantErr    error
	}{
		{name: "no passphrase source", wantErr: ErrPassphraseRequired},
		{name: "right passphrase", passphrase: func(string) ([]byte, error) { return bytes.Clone(pass), nil }},
		{name: "wrong passphrase", passphrase: func(string) ([]byte, error) { return []byte("nope"), nil }, wantErr: ErrAuth},
		{name: "prompt fails", passphrase: func(string) ([]byte, error) { return nil, errors.New("no tty") }, wantErr: ErrAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			var cb func(string) ([]byte, error)
			if tc.passphrase != nil {
				cb = func(file string) ([]byte, error) {
					asked.Add(1)
					if file != keyFile {
						t.Errorf("asked for %s, want %s", file, keyFile)
					}
					return tc.passphrase(file)
				}
			}
			p := newPool(t, Options{Passphrase: cb})
			tg := f.target("h1", s, kh)
			tg.IdentityFiles = []string{keyFile}
			_, err := p.Get(kdfCtx(t), tg)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				// A second host with the same key does not ask again.
				tg.Name = "h2"
				if _, err := p.Get(kdfCtx(t), tg); err != nil {
					t.Fatal(err)
				}
				if n := asked.Load(); n != 1 {
					t.Errorf("passphrase asked %d times, want 1", n)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, ErrAuth) {
				t.Fatalf("err = %v, want %v and ErrAuth", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), keyFile) {
				t.Errorf("message %q does not name the key file", err)
			}
		})
	}
}

func TestAuthRefused(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	s.authorize(newEd25519(t).PublicKey())
	_, err := newPool(t, Options{}).Get(testCtx(t), f.target("h1", s, f.trust(t, "kh", s)))
	if !errors.Is(err, ErrAuth) || errors.Is(err, ErrHostKey) {
		t.Fatalf("err = %v, want ErrAuth only", err)
	}
}

// serveAgent serves keyring on a unix socket and returns its path.
func serveAgent(t *testing.T, keys ...ed25519.PrivateKey) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(shortTempDir(t), "agent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); _ = agent.ServeAgent(keyring, c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return path
}

func TestAgentOffersOnlyConfiguredIdentities(t *testing.T) {
	f := newFixture(t)
	hostKey := newEd25519(t)
	encFile, k2, p2 := writeKeyPriv(t, f.dir, "id_k2", []byte("unused"), true)
	plainFile, k4, _ := writeKeyPriv(t, f.dir, "id_k4", nil, false)
	_, k1, p1 := writeKeyPriv(t, f.dir, "id_k1", nil, false)
	_, k3, p3 := writeKeyPriv(t, f.dir, "id_k3", nil, false)
	sock := serveAgent(t, p1, p2, p3)

	tests := []struct {
		name       string
		identities []string
		authorized ssh.PublicKey
		wantOffer  []ssh.PublicKey // exactly these keys reach the server
	}{
		// k2's file is encrypted and no passphrase source is set: the agent's
		// copy is used, matched through id_k2.pub.
		{name: "configured identity from agent", identities: []string{encFile}, authorized: k2.PublicKey(),
			wantOffer: []ssh.PublicKey{k2.PublicKey()}},
		{name: "identity not in agent uses file", identities: []string{plainFile}, authorized: k4.PublicKey(),
			wantOffer: []ssh.PublicKey{k4.PublicKey()}},
		{name: "no identities offers all agent keys", authorized: k3.PublicKey(),
			wantOffer: []ssh.PublicKey{k1.PublicKey(), k2.PublicKey(), k3.PublicKey()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, withHostKeys(hostKey))
			srv.authorize(tc.authorized)
			kh := writeFile(t, f.dir, "kh-"+strings.ReplaceAll(tc.name, " ", "-"),
				hostLine(srv.addr, srv.hostKeys[0].PublicKey()))
			p := newPool(t, Options{
				Getenv: func(k string) string {
					if k == "SSH_AUTH_SOCK" {
						return sock
					}
					return ""
				},
				Passphrase: func(string) ([]byte, error) {
					t.Error("passphrase asked although the agent holds the key")
					return nil, errors.New("unexpected")
				},
			})
			tg := f.target("h1", srv, kh)
			tg.IdentityFiles, tg.UseAgent = tc.identities, true
			if _, err := p.Get(testCtx(t), tg); err != nil {
				t.Fatal(err)
			}
			for _, k := range srv.offeredKeys() {
				if !containsKey(tc.wantOffer, k) {
					t.Errorf("server was offered %s, not among the wanted keys", ssh.FingerprintSHA256(k))
				}
			}
			if !containsKey(srv.offeredKeys(), tc.authorized) {
				t.Error("the authorized key was never offered")
			}
		})
	}
}

func containsKey(keys []ssh.PublicKey, k ssh.PublicKey) bool {
	for _, x := range keys {
		if bytes.Equal(x.Marshal(), k.Marshal()) {
			return true
		}
	}
	return false
}

// An absent agent is passed over when an identity file can log in, and is
// an authentication error only when it was the sole way in.
func TestAgentAbsent(t *testing.T) {
	f := newFixture(t)
	plainFile, k, _ := writeKeyPriv(t, f.dir, "id_plain", nil, false)
	tests := []struct {
		name       string
		identities []string
		wantErr    error
	}{
		{name: "identity file still used", identities: []string{plainFile}},
		{name: "agent was the only way in", wantErr: ErrAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t)
			srv.authorize(k.PublicKey())
			p := newPool(t, Options{Getenv: func(string) string { return "" }})
			tg := f.target("h1", srv, f.trust(t, "kh-"+strings.ReplaceAll(tc.name, " ", "-"), srv))
			tg.IdentityFiles, tg.UseAgent = tc.identities, true
			_, err := p.Get(testCtx(t), tg)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("Get: %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
