package sshx

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyChecker verifies one endpoint's host key strictly against its own
// known_hosts files, read through the pool's shared cache: a check looks the
// host up in files parsed once, never reads them itself.
type hostKeyChecker struct {
	host       string // as known_hosts spells it, for messages
	name, port string // the address checked
	files      []string
	cache      *knownHostsCache
	algos      []string    // pinned HostKeyAlgorithms (nil: library default)
	verified   atomic.Bool // the host key was accepted
}

// newHostKeyChecker prepares the check of the endpoint at addr
// ("host:port"). Keys are never auto-accepted, so at least one file is
// required.
func newHostKeyChecker(cache *knownHostsCache, files []string, addr string) (*hostKeyChecker, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no known_hosts file configured for %s; host keys are never auto-accepted",
			ErrHostKey, addr)
	}
	name, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sshx: address %s: %w", addr, err)
	}
	h := &hostKeyChecker{host: knownhosts.Normalize(addr), name: name, port: port, files: files, cache: cache}
	k, err := h.knowledge()
	if err != nil {
		return nil, err
	}
	h.algos = pinnedAlgorithms(k.entries)
	return h, nil
}

// knownEntry is a plain or @cert-authority entry matching the host.
type knownEntry struct {
	hostEntry
	file string
}

// hostKnowledge is what the known_hosts files say about one host now.
type hostKnowledge struct {
	entries []knownEntry // in file and line order
	files   []*knownHostsFile
}

func (h *hostKeyChecker) knowledge() (hostKnowledge, error) {
	var k hostKnowledge
	for _, path := range h.files {
		f, err := h.cache.get(path)
		if err != nil {
			return k, err
		}
		k.files = append(k.files, f)
		for _, i := range f.lookup(h.name, h.port) {
			k.entries = append(k.entries, knownEntry{hostEntry: f.entries[i], file: path})
		}
	}
	return k, nil
}

// revoked finds a @revoked entry for key, or for the certified key or the
// signing CA when key is a certificate.
func (k hostKnowledge) revoked(key ssh.PublicKey) (lineRef, bool) {
	keys := []ssh.PublicKey{key}
	if cert, ok := key.(*ssh.Certificate); ok {
		keys = []ssh.PublicKey{cert.Key, cert.SignatureKey}
	}
	for _, f := range k.files {
		for _, key := range keys {
			if line := f.revokedLine(key); line > 0 {
				return lineRef{f.path, line}, true
			}
		}
	}
	return lineRef{}, false
}

// lineRef locates one known_hosts line.
type lineRef struct {
	file string
	line int
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
func pinnedAlgorithms(want []knownEntry) []string {
	var algos []string
	ca := false
	for _, w := range want {
		if w.ca {
			ca = true
			continue
		}
		algos = append(algos, algorithmsForKeyType(w.key.Type())...)
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

// check is the ssh.HostKeyCallback for this endpoint. It runs at the
// handshake and at every re-key, each time against the files as they are.
func (h *hostKeyChecker) check(_ string, _ net.Addr, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	k, err := h.knowledge()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrHostKey, h.host, err)
	}
	if ref, ok := k.revoked(key); ok {
		return &RevokedKeyError{Host: h.host, File: ref.file, Line: ref.line, Fingerprint: fp}
	}
	if cert, ok := key.(*ssh.Certificate); ok {
		err = h.checkCert(k, cert, fp)
	} else {
		err = h.checkPlain(k, key, fp)
	}
	if err == nil {
		h.verified.Store(true)
	}
	return err
}

// errCAAsHostKey is why a plain host key equal to a @cert-authority key is
// refused: knownhosts accepts it, OpenSSH does not.
var errCAAsHostKey = errors.New("a @cert-authority key is trusted only to sign host certificates, not as a host key")

// checkPlain accepts a plain key held by a plain entry of the host. A key
// that only a @cert-authority entry holds is refused.
func (h *hostKeyChecker) checkPlain(k hostKnowledge, key ssh.PublicKey, fp string) error {
	blob := key.Marshal()
	var ca *knownEntry
	for i, e := range k.entries {
		if !bytes.Equal(e.key.Marshal(), blob) {
			continue
		}
		if !e.ca {
			return nil
		}
		ca = &k.entries[i]
	}
	if ca != nil {
		return &HostCertError{Host: h.host, Fingerprint: fp,
			Err: fmt.Errorf("it presented the key of %s:%d as a plain host key: %w", ca.file, ca.line, errCAAsHostKey)}
	}
	return h.mismatch(k.entries, key.Type(), fp)
}

// checkCert accepts a host certificate signed by a @cert-authority of the
// host, valid now and for the host's name (as OpenSSH, the name without
// the port is the principal).
func (h *hostKeyChecker) checkCert(k hostKnowledge, cert *ssh.Certificate, fp string) error {
	refuse := func(err error) error { return &HostCertError{Host: h.host, Fingerprint: fp, Err: err} }
	if cert.CertType != ssh.HostCert {
		return refuse(fmt.Errorf("a certificate of type %d is not a host certificate", cert.CertType))
	}
	signer := cert.SignatureKey.Marshal()
	if !slices.ContainsFunc(k.entries, func(e knownEntry) bool { return e.ca && bytes.Equal(e.key.Marshal(), signer) }) {
		return refuse(fmt.Errorf("no @cert-authority for %s signed it", h.host))
	}
	var checker ssh.CertChecker // revocation was checked before
	if err := checker.CheckCert(h.name, cert); err != nil {
		return refuse(err)
	}
	return nil
}

// mismatch builds the refusal of a key no entry holds: unknown host when
// there is no entry, else a changed key pointing at the entry of the same
// key type when there is one: that is the line the operator must fix.
func (h *hostKeyChecker) mismatch(want []knownEntry, keyType, fp string) error {
	if len(want) == 0 {
		return &UnknownHostError{Host: h.host, Files: h.files, Fingerprint: fp}
	}
	best := want[0]
	for _, w := range want {
		if w.key.Type() == keyType && !w.ca {
			best = w
			break
		}
	}
	known := make([]knownhosts.KnownKey, len(want))
	for i, w := range want {
		known[i] = knownhosts.KnownKey{Key: w.key, Filename: w.file, Line: w.line}
	}
	return &HostKeyMismatchError{Host: h.host, File: best.file, Line: best.line, Want: known, Fingerprint: fp}
}

// negotiationError turns "no common host key algorithm" into a host key
// refusal: the server signs a known RSA key only with SHA-1, or it no
// longer offers any key type we know for it (a changed key).
func (h *hostKeyChecker) negotiationError(err error) error {
	var neg *ssh.AlgorithmNegotiationError
	if !errors.As(err, &neg) || neg.What != "host key" {
		return nil
	}
	k, kerr := h.knowledge()
	if kerr != nil || len(k.entries) == 0 {
		return nil
	}
	if slices.Contains(neg.RequestedAlgorithms, ssh.KeyAlgoRSA) && slices.Contains(h.algos, ssh.KeyAlgoRSASHA256) {
		return fmt.Errorf("%w: %w: %s offers only SHA-1 signatures for its RSA host key, refused as OpenSSH 8.8+ does; "+
			"enable rsa-sha2-256/512 on the server or give it an ed25519 key", ErrHostKey, ErrWeakHostKeySignature, h.host)
	}
	return h.mismatch(k.entries, "", "")
}
