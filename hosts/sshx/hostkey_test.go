package sshx

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostCert signs a host certificate for key with ca, valid for principal.
func hostCert(t *testing.T, key, ca ssh.Signer, principal string) ssh.Signer {
	t.Helper()
	cert := &ssh.Certificate{
		Key:             key.PublicKey(),
		CertType:        ssh.HostCert,
		ValidPrincipals: []string{principal},
		ValidBefore:     ssh.CertTimeInfinity,
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authorized(key ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

func TestHostKeyChecking(t *testing.T) {
	f := newFixture(t)
	plain := newEd25519(t)
	other := newEd25519(t)
	ca, otherCA := newEd25519(t), newEd25519(t)
	certKey := newEd25519(t)

	plainSrv := newTestServer(t, withHostKeys(plain))
	certSrv := newTestServer(t, withHostKeys(hostCert(t, certKey, ca, "127.0.0.1")))
	badCertSrv := newTestServer(t, withHostKeys(hostCert(t, certKey, otherCA, "127.0.0.1")))
	pattern := knownhosts.Normalize(plainSrv.addr)
	// knownhosts matches a bare "*" on port 22 only: name the test ports.
	certCA := "@cert-authority " + knownhosts.Normalize(certSrv.addr) + " " + authorized(ca.PublicKey())
	badCA := "@cert-authority " + knownhosts.Normalize(badCertSrv.addr) + " " + authorized(ca.PublicKey())

	tests := []struct {
		name  string
		srv   *testServer
		lines []string
		// check inspects the error (nil means the connection must succeed).
		check func(t *testing.T, err error, kh string)
	}{
		{name: "plain entry", srv: plainSrv, lines: []string{hostLine(plainSrv.addr, plain.PublicKey())}},
		{name: "hashed entry", srv: plainSrv, lines: []string{
			knownhosts.HashHostname(pattern) + " " + authorized(plain.PublicKey())}},
		{name: "unknown host", srv: plainSrv, lines: []string{hostLine("127.0.0.2:22", plain.PublicKey())},
			check: func(t *testing.T, err error, kh string) {
				var u *UnknownHostError
				if !errors.As(err, &u) {
					t.Fatalf("err = %v, want *UnknownHostError", err)
				}
				if u.Fingerprint != ssh.FingerprintSHA256(plain.PublicKey()) || u.Host != pattern {
					t.Errorf("got %+v", u)
				}
				for _, want := range []string{"unknown host key", kh, "SHA256:", "never auto-accepted", "h1"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("message %q lacks %q", err, want)
					}
				}
			}},
		{name: "changed key", srv: plainSrv, lines: []string{"# comment", hostLine(plainSrv.addr, other.PublicKey())},
			check: func(t *testing.T, err error, kh string) {
				var m *HostKeyMismatchError
				if !errors.As(err, &m) {
					t.Fatalf("err = %v, want *HostKeyMismatchError", err)
				}
				if m.File != kh || m.Line != 2 {
					t.Errorf("file:line = %s:%d, want %s:2", m.File, m.Line, kh)
				}
				for _, want := range []string{"CHANGED", "attack", fmt.Sprintf("%s:2", kh)} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("message %q lacks %q", err, want)
					}
				}
			}},
		{name: "revoked key", srv: plainSrv, lines: []string{
			hostLine(plainSrv.addr, plain.PublicKey()), "@revoked * " + authorized(plain.PublicKey())},
			check: wantRevoked(2)},
		{name: "cert authority", srv: certSrv, lines: []string{certCA}},
		{name: "cert from unknown authority", srv: badCertSrv, lines: []string{badCA},
			check: func(t *testing.T, err error, _ string) {
				var c *HostCertError
				if !errors.As(err, &c) {
					t.Fatalf("err = %v, want *HostCertError", err)
				}
			}},
		{name: "revoked authority", srv: certSrv, lines: []string{
			certCA, "@revoked * " + authorized(ca.PublicKey())},
			check: wantRevoked(2)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kh := writeFile(t, f.dir, fmt.Sprintf("kh%d", i), tc.lines...)
			p := newPool(t, Options{})
			_, err := p.Get(testCtx(t), f.target("h1", tc.srv, kh))
			if tc.check == nil {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrHostKey) {
				t.Errorf("errors.Is(%v, ErrHostKey) = false", err)
			}
			var de *DialError
			if !errors.As(err, &de) || de.Hop != "h1" {
				t.Errorf("err %v is not a DialError at hop h1", err)
			}
			tc.check(t, err, kh)
		})
	}
}

func wantRevoked(line int) func(t *testing.T, err error, kh string) {
	return func(t *testing.T, err error, kh string) {
		var r *RevokedKeyError
		if !errors.As(err, &r) {
			t.Fatalf("err = %v, want *RevokedKeyError", err)
		}
		if r.File != kh || r.Line != line {
			t.Errorf("revoked at %s:%d, want %s:%d", r.File, r.Line, kh, line)
		}
	}
}

// A server with two host key types presents the one known_hosts holds only
// if HostKeyAlgorithms is pinned; the library default prefers ECDSA.
func TestHostKeyAlgorithmsPinned(t *testing.T) {
	f := newFixture(t)
	ed, ec := newEd25519(t), newECDSA(t)
	s := newTestServer(t, withHostKeys(ec, ed))
	kh := writeFile(t, f.dir, "kh", hostLine(s.addr, ed.PublicKey()))

	t.Run("unpinned client is refused", func(t *testing.T) {
		// Shows the test can fail: without pinning the server presents ECDSA.
		cb, err := knownhosts.New(kh)
		if err != nil {
			t.Fatal(err)
		}
		cfg := &ssh.ClientConfig{User: "test", Auth: []ssh.AuthMethod{ssh.PublicKeys(f.signer)}, HostKeyCallback: cb}
		c, err := ssh.Dial("tcp", s.addr, cfg)
		if err == nil {
			_ = c.Close()
			t.Fatal("unpinned dial succeeded; the server does not prefer ECDSA")
		}
	})
	t.Run("pool pins and connects", func(t *testing.T) {
		p := newPool(t, Options{})
		mustGet(t, p, f.target("h1", s, kh))
	})
}

func TestPinnedAlgorithms(t *testing.T) {
	dir := shortTempDir(t)
	ed, ec, ca := newEd25519(t), newECDSA(t), newEd25519(t)
	kh := writeFile(t, dir, "kh",
		"10.0.0.1 "+authorized(ed.PublicKey()),
		"10.0.0.1 "+authorized(ec.PublicKey()),
		"@cert-authority 10.0.0.2 "+authorized(ca.PublicKey()),
		"10.0.0.2 "+authorized(ed.PublicKey()),
	)
	tests := []struct {
		addr string
		want []string
	}{
		{"10.0.0.1:22", []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256}},
		{"10.0.0.2:22", append(append([]string(nil), certHostKeyAlgos...), ssh.KeyAlgoED25519)},
		{"10.0.0.9:22", nil},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			h, err := newHostKeyChecker(newKnownHostsCache(), []string{kh}, tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, h.algos); diff != "" {
				t.Errorf("algos (-want +got):\n%s", diff)
			}
		})
	}
	if got := algorithmsForKeyType(ssh.KeyAlgoRSA); got[0] != ssh.KeyAlgoRSASHA512 {
		t.Errorf("RSA algorithms = %v, want SHA-512 first", got)
	}
}

func TestNoKnownHostsFile(t *testing.T) {
	f := newFixture(t)
	s := newTestServer(t)
	tg := f.target("h1", s, "")
	tg.KnownHosts = nil
	_, err := newPool(t, Options{}).Get(testCtx(t), tg)
	if !errors.Is(err, ErrHostKey) {
		t.Fatalf("err = %v, want ErrHostKey", err)
	}
}

// A @cert-authority key is trusted to sign host certificates, never as a
// host key itself (OpenSSH refuses it; x/crypto's knownhosts accepts it).
// The host also has a plain entry of the same key type, so the client
// offers that type and the server can present the CA key as a plain key.
func TestCAKeyAsPlainHostKeyRefused(t *testing.T) {
	f := newFixture(t)
	ca, other := newEd25519(t), newEd25519(t)
	s := newTestServer(t, withHostKeys(ca))
	kh := writeFile(t, f.dir, "kh",
		"@cert-authority "+knownhosts.Normalize(s.addr)+" "+authorized(ca.PublicKey()),
		hostLine(s.addr, other.PublicKey()))
	_, err := newPool(t, Options{}).Get(testCtx(t), f.target("h1", s, kh))
	var c *HostCertError
	if !errors.As(err, &c) {
		t.Fatalf("err = %v, want *HostCertError", err)
	}
	for _, want := range []string{"@cert-authority", kh + ":1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

// SHA-1 ssh-rsa signatures are refused for a known RSA host key, as OpenSSH
// 8.8+ does: a server that signs only with ssh-rsa cannot connect, the same
// key signing with rsa-sha2 can.
func TestSHA1RSAHostSignatureRefused(t *testing.T) {
	f := newFixture(t)
	key := newRSA(t)
	sha1Only, err := ssh.NewSignerWithAlgorithms(key.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSA})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("rsa-sha2 connects", func(t *testing.T) {
		s := newTestServer(t, withHostKeys(key))
		mustGet(t, newPool(t, Options{}), f.target("h1", s, f.trust(t, "kh-sha2", s)))
	})
	t.Run("ssh-rsa only is refused", func(t *testing.T) {
		s := newTestServer(t, withHostKeys(sha1Only))
		_, err := newPool(t, Options{}).Get(testCtx(t), f.target("h1", s, f.trust(t, "kh-sha1", s)))
		if !errors.Is(err, ErrWeakHostKeySignature) || !errors.Is(err, ErrHostKey) {
			t.Fatalf("err = %v, want ErrWeakHostKeySignature and ErrHostKey", err)
		}
		if !strings.Contains(err.Error(), "SHA-1") {
			t.Errorf("message %q does not name SHA-1", err)
		}
	})
}
