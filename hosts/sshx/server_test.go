package sshx

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// waitLimit bounds every wait in these tests; reaching it is a failure.
const waitLimit = 10 * time.Second

// testServer is an in-process SSH server on 127.0.0.1:0 with exec,
// direct-streamlocal, direct-tcpip and keepalive handlers.
type testServer struct {
	t        testing.TB
	ln       net.Listener
	addr     string
	port     int
	hostKeys []ssh.Signer
	cfg      *ssh.ServerConfig

	authorized      atomic.Pointer[[]ssh.PublicKey] // nil: accept any key
	silentKeepalive atomic.Bool                     // stop answering keepalives
	keepaliveCount  atomic.Int64                    // keepalives received
	holdStreamlocal atomic.Bool                     // never answer streamlocal opens
	gate            chan struct{}                   // when set, each handshake waits for a token
	onConn          func(ssh.Conn)                  // when set, called with each connection after its handshake
	socketReqs      chan bool                       // when set, each socket channel gets a request; true: refused, as it should be
	release         chan struct{}                   // closed to let "wait" commands finish

	mu      sync.Mutex
	offered []ssh.PublicKey
	open    map[net.Conn]bool
	// inflight counts handshakes from accept until the server accepted
	// the key (or the handshake failed): the key is accepted before the
	// server sends its success, so a client cannot have finished and let
	// the next one in while its handshake still counts here.
	inflight    int
	maxInflight int
	authorised  map[string]bool // client addresses whose key was accepted
	accepts     int
	waiting     int           // "wait" commands running
	changed     chan struct{} // signalled on every counter change
	keepalives  chan struct{}
	wg          sync.WaitGroup
}

type serverOption func(*testServer)

func withHostKeys(keys ...ssh.Signer) serverOption {
	return func(s *testServer) { s.hostKeys = keys }
}

func withGate() serverOption { return func(s *testServer) { s.gate = make(chan struct{}) } }

// withConnHook calls f with each server connection once its handshake is
// done, in the connection's own goroutine (before its channels are served).
func withConnHook(f func(ssh.Conn)) serverOption { return func(s *testServer) { s.onConn = f } }

// withSocketRequests sends a channel request on each socket channel and
// says on socketReqs whether the client answered it with a failure.
func withSocketRequests() serverOption {
	return func(s *testServer) { s.socketReqs = make(chan bool, 4) }
}

// askSocket sends the request of withSocketRequests.
func (s *testServer) askSocket(ch ssh.Channel) {
	if s.socketReqs == nil {
		return
	}
	s.wg.Go(func() {
		ok, err := ch.SendRequest("probe@hvconsole.test", true, nil)
		s.socketReqs <- err == nil && !ok
	})
}

func newTestServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	s := &testServer{t: t, open: map[net.Conn]bool{}, authorised: map[string]bool{}, changed: make(chan struct{}, 1),
		keepalives: make(chan struct{}, 64), release: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	if len(s.hostKeys) == 0 {
		s.hostKeys = []ssh.Signer{newEd25519(t)}
	}
	s.cfg = &ssh.ServerConfig{PublicKeyCallback: s.publicKey}
	for _, k := range s.hostKeys {
		s.cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.addr, s.port = ln, ln.Addr().String(), ln.Addr().(*net.TCPAddr).Port
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *testServer) authorize(keys ...ssh.PublicKey) { s.authorized.Store(&keys) }

func (s *testServer) publicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	s.mu.Lock()
	s.offered = append(s.offered, key)
	s.mu.Unlock()
	if !s.keyAllowed(key) {
		return nil, fmt.Errorf("key not authorized")
	}
	s.handshakeDone(meta.RemoteAddr().String())
	return nil, nil
}

func (s *testServer) keyAllowed(key ssh.PublicKey) bool {
	allowed := s.authorized.Load()
	if allowed == nil {
		return true
	}
	for _, k := range *allowed {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return true
		}
	}
	return false
}

// handshakeDone ends the count of the handshake from client in inflight,
// once.
func (s *testServer) handshakeDone(client string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authorised[client] {
		return
	}
	s.authorised[client] = true
	s.inflight--
	s.notify()
}

func (s *testServer) offeredKeys() []ssh.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ssh.PublicKey(nil), s.offered...)
}

func (s *testServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.open {
		_ = c.Close()
	}
	s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
	}
	s.wg.Wait()
}

// notify wakes waitFor after a counter changed.
func (s *testServer) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// waitFor blocks until cond (evaluated under s.mu) holds, failing the test
// after waitLimit.
func (s *testServer) waitFor(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.After(waitLimit)
	for {
		s.mu.Lock()
		ok := cond()
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			s.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (s *testServer) openConns() int { return len(s.open) }

func (s *testServer) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.open[conn] = true
		s.accepts++
		s.inflight++
		s.maxInflight = max(s.maxInflight, s.inflight)
		s.mu.Unlock()
		s.notify()
		s.wg.Add(1)
		go s.handleConn(conn)
	}
}

func (s *testServer) handleConn(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		_ = conn.Close()
		s.mu.Lock()
		delete(s.open, conn)
		s.mu.Unlock()
		s.notify()
	}()
	if s.gate != nil {
		<-s.gate
	}
	sc, chans, reqs, err := ssh.NewServerConn(conn, s.cfg)
	if err != nil {
		s.mu.Lock()
		if !s.authorised[conn.RemoteAddr().String()] {
			s.inflight-- // failed before a key was accepted
		}
		s.mu.Unlock()
		s.notify()
		return
	}
	s.wg.Add(1)
	go s.globalRequests(reqs)
	if s.onConn != nil {
		s.wg.Go(func() { s.onConn(sc) })
	}
	var chWG sync.WaitGroup
	for nc := range chans {
		chWG.Add(1)
		go func() {
			defer chWG.Done()
			s.handleChannel(nc)
		}()
	}
	_ = sc.Close()
	chWG.Wait()
}

func (s *testServer) globalRequests(reqs <-chan *ssh.Request) {
	defer s.wg.Done()
	for r := range reqs {
		if r.Type == "keepalive@openssh.com" {
			s.keepaliveCount.Add(1)
			select {
			case s.keepalives <- struct{}{}:
			default:
			}
			if s.silentKeepalive.Load() {
				continue
			}
		}
		if r.WantReply {
			_ = r.Reply(false, nil) // like OpenSSH: a failure reply is still a reply
		}
	}
}

// waitKeepalives waits for n keepalive requests to reach the server,
// failing the test after waitLimit.
func (s *testServer) waitKeepalives(n int) {
	s.t.Helper()
	for range n {
		select {
		case <-s.keepalives:
		case <-time.After(waitLimit):
			s.t.Fatal("no keepalive reached the server")
		}
	}
}

func (s *testServer) handleChannel(nc ssh.NewChannel) {
	switch nc.ChannelType() {
	case "session":
		s.session(nc)
	case "direct-streamlocal@openssh.com":
		var m struct {
			Path      string
			Reserved0 string
			Reserved1 uint32
		}
		if err := ssh.Unmarshal(nc.ExtraData(), &m); err != nil {
			_ = nc.Reject(ssh.ConnectionFailed, "bad payload")
			return
		}
		if s.holdStreamlocal.Load() {
			return // never answered; the client must give up on its own
		}
		forward(nc, "unix", m.Path, s.askSocket)
	case "direct-tcpip":
		var m struct {
			Host     string
			Port     uint32
			OrigHost string
			OrigPort uint32
		}
		if err := ssh.Unmarshal(nc.ExtraData(), &m); err != nil {
			_ = nc.Reject(ssh.ConnectionFailed, "bad payload")
			return
		}
		forward(nc, "tcp", net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))), nil)
	default:
		_ = nc.Reject(ssh.UnknownChannelType, "unsupported")
	}
}

// forward connects a channel to a local socket and copies both ways.
// forward accepts nc and copies it to and from addr; opened, when set, is
// called with the channel once accepted.
func forward(nc ssh.NewChannel, network, addr string, opened func(ssh.Channel)) {
	target, err := net.DialTimeout(network, addr, waitLimit)
	if err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		_ = target.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	if opened != nil {
		opened(ch)
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(ch, target); _ = ch.CloseWrite(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(target, ch); done <- struct{}{} }()
	<-done
	_ = ch.Close()
	_ = target.Close()
	<-done
}

func (s *testServer) session(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	for r := range reqs {
		if r.Type != "exec" {
			_ = r.Reply(false, nil)
			continue
		}
		var m struct{ Command string }
		if err := ssh.Unmarshal(r.Payload, &m); err != nil {
			_ = r.Reply(false, nil)
			return
		}
		_ = r.Reply(true, nil)
		if m.Command == "hang" {
			ssh.DiscardRequests(reqs) // until the client closes the channel
			return
		}
		if m.Command == "wait" {
			s.wait(ch, reqs)
			return
		}
		go ssh.DiscardRequests(reqs)
		runCommand(ch, m.Command)
		return
	}
}

// wait runs a command that ends when the test closes s.release (or the
// client closes the channel); it counts in s.waiting meanwhile.
func (s *testServer) wait(ch ssh.Channel, reqs <-chan *ssh.Request) {
	s.mu.Lock()
	s.waiting++
	s.mu.Unlock()
	s.notify()
	defer func() {
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
		s.notify()
	}()
	closed := make(chan struct{})
	go func() {
		ssh.DiscardRequests(reqs) // ends when the client closes the channel
		close(closed)
	}()
	select {
	case <-s.release:
		runCommand(ch, "echo done")
	case <-closed:
	}
}

// runCommand is the test server's tiny shell.
func runCommand(ch ssh.Channel, cmd string) {
	verb, arg, _ := strings.Cut(cmd, " ")
	status := func(n uint32) {
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ N uint32 }{n}))
	}
	switch verb {
	case "echo":
		_, _ = io.WriteString(ch, arg+"\n")
		status(0)
	case "fail":
		n, _ := strconv.Atoi(arg)
		_, _ = io.WriteString(ch.Stderr(), "failing\n")
		status(uint32(n))
	case "big":
		n, _ := strconv.Atoi(arg)
		_, _ = ch.Write(bytes.Repeat([]byte("x"), n))
		status(0)
	case "signal":
		_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(struct {
			Signal     string
			CoreDumped bool
			Error      string
			Lang       string
		}{Signal: "KILL"}))
	case "noexit":
	}
}

// frozenServer accepts TCP connections and never speaks, like a SIGSTOPped sshd.
func frozenServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	silent(t, ln)
	return ln.Addr().String()
}

// silent accepts connections on ln and never reads or writes, until the
// test ends; it returns how many it accepted so far.
func silent(t testing.TB, ln net.Listener) (accepted func() int) {
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return func() int { mu.Lock(); defer mu.Unlock(); return len(conns) }
}

func newEd25519(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return newSigner(t, priv, err)
}

func newECDSA(t testing.TB) ssh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return newSigner(t, priv, err)
}

func newRSA(t testing.TB) ssh.Signer {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	return newSigner(t, priv, err)
}

// newSigner wraps a freshly generated private key (err is its generation's).
func newSigner(t testing.TB, priv any, err error) ssh.Signer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shortTempDir is a temp dir short enough for unix socket paths (t.TempDir
// paths include the test name and can pass the 108-byte limit).
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sshx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// writeKey writes a fresh ed25519 identity (encrypted when passphrase is
// set, plus FILE.pub when withPub) and returns its path and signer.
func writeKey(t testing.TB, dir, name string, passphrase []byte, withPub bool) (string, ssh.Signer) {
	t.Helper()
	path, signer, _ := writeKeyPriv(t, dir, name, passphrase, withPub)
	return path, signer
}

// writeKeyPriv is writeKey also returning the private key (for an agent keyring).
func writeKeyPriv(t testing.TB, dir, name string, passphrase []byte, withPub bool) (string, ssh.Signer, ed25519.PrivateKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != nil {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", passphrase)
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if withPub {
		if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path, signer, priv
}

// writeFile writes lines to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
