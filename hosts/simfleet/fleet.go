// Package simfleet is hvconsole's simulated demo fleet: N hypervisor hosts,
// each a real SSH server (x/crypto/ssh, server side) on 127.0.0.1 with its
// own host key, answering the exact remote commands of hosts/commands.go and
// serving the libvirt RPC protocol on the tunnelled unix-socket channel,
// virtual networks and pushed domain lifecycle events included.
//
// The fleet writes a temporary known_hosts, client key and config.toml, so
// hvconsole connects to it through the same strict code path as to real
// hosts: host-key checking, pooled connections, probes and actions. It
// powers `hvconsole demo` and the benchmarks at 1,000 hosts, and a scripted
// timeline of incidents (daemon stops, VM crashes, stale backups,
// unreachable hosts, changed host keys) shows the whole incident cycle.
package simfleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// User is the login name the simulated hosts accept (with the fleet key).
const User = "demo"

// DefaultLibvirtSocket is the socket path the simulated libvirtd serves.
const DefaultLibvirtSocket = "/run/libvirt/libvirt-sock"

// Defaults and bounds of Options.
const (
	DefaultHosts        = 12
	MaxHosts            = 10000
	DefaultRestartDelay = 800 * time.Millisecond
)

// File names the fleet writes into its directory.
const (
	configFile     = "config.toml"
	knownHostsFile = "known_hosts"
	identityFile   = "id_ed25519"
	auditFile      = "audit.jsonl"
)

// ErrBadOptions is returned by Start for options it cannot honour.
var ErrBadOptions = errors.New("simfleet: bad options")

// Options configure a fleet. The zero value is a 12-host fleet in a new
// temporary directory running the default timeline for seed 0.
type Options struct {
	// Hosts is how many hosts to run (0: DefaultHosts; at most MaxHosts).
	Hosts int
	// FleetHosts is the size of the whole fleet when it is split over
	// several processes (the scale benchmarks: at most MaxHosts each), so
	// that each config carries the cadences of the whole (CadencesFor);
	// 0 or fewer than Hosts: Hosts.
	FleetHosts int
	// HyperV is how many of the hosts (the last ones) are simulated Hyper-V
	// hosts instead of libvirt hosts (default 0; see hyperv.go).
	HyperV int
	// Seed makes the hosts' state and the default timeline reproducible.
	Seed int64
	// Quiet runs no incidents: RunTimeline only waits.
	Quiet bool
	// Dir receives the keys, known_hosts, config.toml and the audit log.
	// Empty: a new temporary directory, removed by Close.
	Dir string
	// Timeline replaces the default timeline (nil: DefaultTimeline).
	Timeline *Timeline
	// RestartDelay is how long a simulated "systemctl restart" takes
	// (0: DefaultRestartDelay).
	RestartDelay time.Duration
	// LibvirtSocket is the socket path served (empty: DefaultLibvirtSocket).
	LibvirtSocket string
	// OnEvent, if set, is called by RunTimeline as each incident starts and
	// ends (from RunTimeline's goroutine), e.g. to print them in --serve.
	OnEvent func(Event)
}

// Fleet is a running simulated fleet. Close stops it.
type Fleet struct {
	opts      Options
	dir       string
	ownDir    bool
	clientKey ssh.PublicKey
	hosts     []*Host
	byName    map[string]*Host

	ctx       context.Context
	cancel    context.CancelFunc
	stopAfter func() bool
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Start runs opts.Hosts SSH servers on free 127.0.0.1 ports and writes the
// fleet's files. The fleet stops when ctx ends or Close is called; Close
// must be called either way to wait for it and remove a temporary Dir.
func Start(ctx context.Context, opts Options) (*Fleet, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	f := &Fleet{opts: opts, dir: opts.Dir, byName: make(map[string]*Host, opts.Hosts)}
	f.ctx, f.cancel = context.WithCancel(ctx)
	if err := f.setup(); err != nil {
		f.Close()
		return nil, err
	}
	f.stopAfter = context.AfterFunc(f.ctx, f.shutdown)
	for _, h := range f.hosts {
		f.wg.Go(h.acceptLoop)
	}
	return f, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Hosts == 0 {
		o.Hosts = DefaultHosts
	}
	if o.Hosts < 0 || o.Hosts > MaxHosts {
		return o, fmt.Errorf("%w: %d hosts (1-%d)", ErrBadOptions, o.Hosts, MaxHosts)
	}
	if o.HyperV < 0 || o.HyperV > o.Hosts {
		return o, fmt.Errorf("%w: %d Hyper-V hosts of %d", ErrBadOptions, o.HyperV, o.Hosts)
	}
	if o.RestartDelay == 0 {
		o.RestartDelay = DefaultRestartDelay
	}
	if o.RestartDelay < 0 {
		return o, fmt.Errorf("%w: negative restart delay", ErrBadOptions)
	}
	if o.LibvirtSocket == "" {
		o.LibvirtSocket = DefaultLibvirtSocket
	}
	return o, nil
}

// setup makes the directory, the client key, the hosts and the files.
func (f *Fleet) setup() error {
	if f.dir == "" {
		d, err := os.MkdirTemp("", "hvconsole-demo-")
		if err != nil {
			return fmt.Errorf("simfleet: %w", err)
		}
		f.dir, f.ownDir = d, true
	} else if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("simfleet: %w", err)
	}
	if err := f.writeClientKey(); err != nil {
		return err
	}
	start := time.Now()
	for i := range f.opts.Hosts {
		h, err := f.newHost(i, start)
		if err != nil {
			return err
		}
		f.hosts = append(f.hosts, h)
		f.byName[h.name] = h
	}
	if err := f.writeKnownHosts(); err != nil {
		return err
	}
	_, err := WriteConfig(f.dir, f.ConfigSpec())
	return err
}

// writeClientKey generates the client's ed25519 key and writes it in
// OpenSSH format (mode 0600) with its .pub.
func (f *Fleet) writeClientKey() error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("simfleet: client key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "hvconsole-demo")
	if err != nil {
		return fmt.Errorf("simfleet: client key: %w", err)
	}
	f.clientKey, err = ssh.NewPublicKey(pub)
	if err != nil {
		return fmt.Errorf("simfleet: client key: %w", err)
	}
	if err := os.WriteFile(f.IdentityPath(), pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("simfleet: %w", err)
	}
	if err := os.WriteFile(f.IdentityPath()+".pub", ssh.MarshalAuthorizedKey(f.clientKey), 0o644); err != nil {
		return fmt.Errorf("simfleet: %w", err)
	}
	return nil
}

// newHost generates host i's key and state and binds its listener.
func (f *Fleet) newHost(i int, start time.Time) (*Host, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("simfleet: host key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("simfleet: host key: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simfleet: listen: %w", err)
	}
	h := &Host{
		fleet:      f,
		name:       hostName(i, f.opts.Hosts),
		ln:         ln,
		port:       ln.Addr().(*net.TCPAddr).Port,
		socketPath: f.opts.LibvirtSocket,
		w:          newWorld(f.opts.Seed, i, start),
		baseKey:    signer,
		curKey:     signer,
		server:     f.serverConfig(signer),
		conns:      make(map[net.Conn]struct{}),
		rpcs:       make(map[ssh.Channel]struct{}),
	}
	h.w.journalStart(&h.journal, start.Add(-time.Duration(3+i%40)*time.Hour))
	if i >= f.opts.Hosts-f.opts.HyperV {
		h.hv = newHVWorld(f.opts.Seed, i, start)
	}
	return h, nil
}

// hostName is demo-01, demo-02, ... with enough digits for n hosts.
func hostName(i, n int) string {
	width := max(2, len(fmt.Sprint(n)))
	return fmt.Sprintf("demo-%0*d", width, i+1)
}

// writeKnownHosts writes one "[127.0.0.1]:PORT ssh-ed25519 ..." line per host.
func (f *Fleet) writeKnownHosts() error {
	var b []byte
	for _, h := range f.hosts {
		b = append(b, knownhosts.Line([]string{knownhosts.Normalize(h.Addr())}, h.baseKey.PublicKey())...)
		b = append(b, '\n')
	}
	if err := os.WriteFile(f.KnownHostsPath(), b, 0o600); err != nil {
		return fmt.Errorf("simfleet: %w", err)
	}
	return nil
}

// Dir is the directory holding the fleet's files.
func (f *Fleet) Dir() string { return f.dir }

// ConfigPath is a valid hvconsole config.toml for the fleet.
func (f *Fleet) ConfigPath() string { return filepath.Join(f.dir, configFile) }

// KnownHostsPath is the known_hosts file holding every host's key.
func (f *Fleet) KnownHostsPath() string { return filepath.Join(f.dir, knownHostsFile) }

// IdentityPath is the client's private key (OpenSSH format, no passphrase).
func (f *Fleet) IdentityPath() string { return filepath.Join(f.dir, identityFile) }

// AuditLogPath is where the generated config sends the audit log.
func (f *Fleet) AuditLogPath() string { return filepath.Join(f.dir, auditFile) }

// Host returns the named host, or nil.
func (f *Fleet) Host(name string) *Host { return f.byName[name] }

// Hosts returns the hosts in inventory order.
func (f *Fleet) Hosts() []*Host { return append([]*Host(nil), f.hosts...) }

// sleep waits d, or reports false when the fleet stops first.
func (f *Fleet) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-f.ctx.Done():
		return false
	}
}

// shutdown closes every listener and connection; goroutines then exit.
func (f *Fleet) shutdown() {
	f.closeOnce.Do(func() {
		for _, h := range f.hosts {
			h.ln.Close()
			h.mu.Lock()
			conns := h.takeConns()
			h.mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		}
	})
}

// Close stops the fleet, waits for every goroutine it started and removes
// a temporary directory. It is safe to call more than once.
func (f *Fleet) Close() error {
	f.cancel()
	if f.stopAfter != nil {
		f.stopAfter()
	}
	f.shutdown()
	f.wg.Wait()
	if f.ownDir {
		if err := os.RemoveAll(f.dir); err != nil {
			return fmt.Errorf("simfleet: %w", err)
		}
		f.ownDir = false
	}
	return nil
}
