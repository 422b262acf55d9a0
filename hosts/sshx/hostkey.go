package sshx

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyChecker verifies one endpoint's host key strictly against its own
// known_hosts files and turns knownhosts errors into our typed errors.
type hostKeyChecker struct {
	host     string // as known_hosts spells it, for messages
	files    []string
	callback ssh.HostKeyCallback // knownhosts.New: plain keys, @cert-authority, @revoked
	index    knownHostsIndex
	want     []knownhosts.KnownKey // entries matching this host (from the probe)
	algos    []string              // pinned HostKeyAlgorithms (nil: library default)
	verified atomic.Bool           // the host key was accepted
}

// newHostKeyChecker loads files for the endpoint at addr ("host:port").
// Keys are never auto-accepted, so at least one file is required.
func newHostKeyChecker(files []string, addr string) (*hostKeyChecker, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no known_hosts file configured for %s; host keys are never auto-accepted",
			ErrHostKey, addr)
	}
	cb, err := knownhosts.New(files...)
	if err != nil {
		return nil, fmt.Errorf("sshx: known_hosts: %w", err)
	}
	idx := newKnownHostsIndex()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("sshx: known_hosts: %w", err)
		}
		idx.add(data, f)
	}
	h := &hostKeyChecker{host: knownhosts.Normalize(addr), files: files, callback: cb, index: idx}
	h.want = knownEntries(cb, addr)
	h.algos = pinnedAlgorithms(h.want, idx)
	return h, nil
}

// knownEntries returns the known_hosts entries (plain and @cert-authority)
// whose pattern matches addr. knownhosts exposes them only through the
// KeyError of a failed check, so it checks a throwaway key that cannot match.
func knownEntries(cb ssh.HostKeyCallback, addr string) []knownhosts.KnownKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil
	}
	var keyErr *knownhosts.KeyError
	if err := cb(addr, &net.TCPAddr{}, signer.PublicKey()); errors.As(err, &keyErr) {
		return keyErr.Want
	}
	return nil
}

// certHostKeyAlgos are the certificate algorithms offered when an
// @cert-authority line matches the host.
var certHostKeyAlgos = []string{
	ssh.CertAlgoED25519v01,
	ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
	ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01,
}

// pinnedAlgorithms lists the host key algorithms matching the key types
// known for a host, so a server holding several key types presents the one
// we know instead of failing with "key mismatch". Nil means the host is
// unknown; the library default is used and the check refuses the key.
func pinnedAlgorithms(want []knownhosts.KnownKey, idx knownHostsIndex) []string {
	var algos []string
	ca := false
	for _, w := range want {
		if idx.isCA(w.Filename, w.Line) {
			ca = true
			continue
		}
		algos = append(algos, algorithmsForKeyType(w.Key.Type())...)
	}
	if ca {
		algos = append(slices.Clone(certHostKeyAlgos), algos...)
	}
	return dedup(algos)
}

// algorithmsForKeyType maps a key type to the signature algorithms that can
// present it. RSA keys sign with SHA-2 only: SHA-1 ssh-rsa signatures are
// refused, as OpenSSH 8.8 and later refuse them (no opt-in).
func algorithmsForKeyType(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{t}
}

func dedup(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// check is the ssh.HostKeyCallback for this endpoint.
func (h *hostKeyChecker) check(hostname string, remote net.Addr, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	if ref, ok := h.index.revokedFor(key); ok {
		return &RevokedKeyError{Host: h.host, File: ref.file, Line: ref.line, Fingerprint: fp}
	}
	if err := h.refuseCAAsHostKey(key, fp); err != nil {
		return err
	}
	err := h.callback(hostname, remote, key)
	if err == nil {
		h.verified.Store(true)
		return nil
	}
	return h.translate(err, key, fp)
}

// errCAAsHostKey is why a plain host key equal to a @cert-authority key is
// refused: knownhosts accepts it, OpenSSH does not.
var errCAAsHostKey = errors.New("a @cert-authority key is trusted only to sign host certificates, not as a host key")

// refuseCAAsHostKey refuses a plain (non-certificate) key that matches only
// @cert-authority entries of this host.
func (h *hostKeyChecker) refuseCAAsHostKey(key ssh.PublicKey, fp string) error {
	if _, ok := key.(*ssh.Certificate); ok {
		return nil
	}
	var ca *knownhosts.KnownKey
	for i, w := range h.want {
		if !bytes.Equal(w.Key.Marshal(), key.Marshal()) {
			continue
		}
		if !h.index.isCA(w.Filename, w.Line) {
			return nil
		}
		ca = &h.want[i]
	}
	if ca == nil {
		return nil
	}
	return &HostCertError{Host: h.host, Fingerprint: fp,
		Err: fmt.Errorf("it presented the key of %s:%d as a plain host key: %w", ca.Filename, ca.Line, errCAAsHostKey)}
}

func (h *hostKeyChecker) translate(err error, key ssh.PublicKey, fp string) error {
	var revoked *knownhosts.RevokedError
	var keyErr *knownhosts.KeyError
	switch {
	case errors.As(err, &revoked):
		return &RevokedKeyError{Host: h.host, File: revoked.Revoked.Filename, Line: revoked.Revoked.Line, Fingerprint: fp}
	case errors.As(err, &keyErr) && len(keyErr.Want) == 0:
		return &UnknownHostError{Host: h.host, Files: h.files, Fingerprint: fp}
	case errors.As(err, &keyErr):
		return h.mismatch(keyErr.Want, key.Type(), fp)
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return &HostCertError{Host: h.host, Fingerprint: fp, Err: err}
	}
	return fmt.Errorf("%w: %s: %w", ErrHostKey, h.host, err)
}

// mismatch builds the changed-key error, pointing at the entry of the same
// key type when there is one: that is the line the operator must fix.
func (h *hostKeyChecker) mismatch(want []knownhosts.KnownKey, keyType, fp string) error {
	if len(want) == 0 {
		return &UnknownHostError{Host: h.host, Files: h.files, Fingerprint: fp}
	}
	best := want[0]
	for _, w := range want {
		if w.Key.Type() == keyType && !h.index.isCA(w.Filename, w.Line) {
			best = w
			break
		}
	}
	return &HostKeyMismatchError{Host: h.host, File: best.Filename, Line: best.Line, Want: want, Fingerprint: fp}
}

// negotiationError turns "no common host key algorithm" into a host key
// refusal: the server signs a known RSA key only with SHA-1, or it no
// longer offers any key type we know for it (a changed key).
func (h *hostKeyChecker) negotiationError(err error) error {
	var neg *ssh.AlgorithmNegotiationError
	if !errors.As(err, &neg) || neg.What != "host key" || len(h.want) == 0 {
		return nil
	}
	if slices.Contains(neg.RequestedAlgorithms, ssh.KeyAlgoRSA) && slices.Contains(h.algos, ssh.KeyAlgoRSASHA256) {
		return fmt.Errorf("%w: %w: %s offers only SHA-1 signatures for its RSA host key, refused as OpenSSH 8.8+ does; "+
			"enable rsa-sha2-256/512 on the server or give it an ed25519 key", ErrHostKey, ErrWeakHostKeySignature, h.host)
	}
	return h.mismatch(h.want, "", "")
}

// lineRef locates one known_hosts line.
type lineRef struct {
	file string
	line int
}

// knownHostsIndex records what knownhosts does not expose: which lines are
// @cert-authority, and where each @revoked key is, so revoked certificate
// keys and CAs are refused with the file:line to look at.
type knownHostsIndex struct {
	ca      map[lineRef]bool
	revoked map[string]lineRef // key blob -> line
}

func newKnownHostsIndex() knownHostsIndex {
	return knownHostsIndex{ca: map[lineRef]bool{}, revoked: map[string]lineRef{}}
}

// add indexes one file's contents. Line numbers count every line, exactly
// as knownhosts does; lines it cannot parse are skipped like knownhosts.
func (x knownHostsIndex) add(data []byte, file string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := bytes.Trim(sc.Bytes(), " \t")
		if len(line) == 0 || line[0] != '@' {
			continue
		}
		marker, _, key, _, _, err := ssh.ParseKnownHosts(line)
		if err != nil || key == nil {
			continue
		}
		switch marker {
		case "cert-authority":
			x.ca[lineRef{file, n}] = true
		case "revoked":
			x.revoked[string(key.Marshal())] = lineRef{file, n}
		}
	}
}

func (x knownHostsIndex) isCA(file string, line int) bool { return x.ca[lineRef{file, line}] }

// revokedFor finds a @revoked entry for key, or for the certified key or
// signing CA when key is a certificate.
func (x knownHostsIndex) revokedFor(key ssh.PublicKey) (lineRef, bool) {
	keys := []ssh.PublicKey{key}
	if cert, ok := key.(*ssh.Certificate); ok {
		keys = []ssh.PublicKey{cert.Key, cert.SignatureKey}
	}
	for _, k := range keys {
		if ref, ok := x.revoked[string(k.Marshal())]; ok {
			return ref, true
		}
	}
	return lineRef{}, false
}
