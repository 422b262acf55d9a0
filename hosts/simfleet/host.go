package simfleet

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"golang.org/x/crypto/ssh"
)

// ErrNoVM is returned by Host.CrashVM for a VM the host does not have.
var ErrNoVM = errors.New("simfleet: no such VM")

// Host is one simulated hypervisor host: a real SSH server on 127.0.0.1 and
// the simulated state it answers from. Its methods are the demo's and the
// tests' remote control; all are safe for concurrent use.
type Host struct {
	fleet      *Fleet
	name       string
	ln         net.Listener
	port       int
	socketPath string

	mu      sync.Mutex
	w       world
	journal journal
	// baseKey is the key written to known_hosts; curKey is the key in use
	// and server the config presenting it.
	baseKey ssh.Signer
	curKey  ssh.Signer
	server  *ssh.ServerConfig
	conns   map[net.Conn]struct{}
	rpcs    map[ssh.Channel]struct{}
	// subs are the libvirt connections holding event callbacks (events.go).
	subs map[*rpcConn]struct{}
	// hv is set on a simulated Hyper-V host (hyperv.go).
	hv *hvWorld
	// drill is the restore drills' state (drillboot.go).
	drill drillWorld
}

// VMState is a snapshot of one simulated VM. State and Reason use
// go-libvirt's constants (Reason's type depends on State, as in libvirt).
type VMState struct {
	Name      string
	State     libvirt.DomainState
	Reason    int32
	Autostart bool
}

// State is a snapshot of a host's simulated state, for tests and the demo's
// expectations.
type State struct {
	// Unit is the daemon's is-active word: "active", "inactive" or "failed".
	Unit        string
	Unreachable bool
	BackupStale bool
	KeyRotated  bool
	VMs         []VMState
	Networks    []NetworkState
	// LibvirtVersion and QEMUVersion are dotted versions ("9.0.0").
	LibvirtVersion string
	QEMUVersion    string
}

// Name is the host's inventory name (demo-01, ...).
func (h *Host) Name() string { return h.name }

// Port is the host's SSH port on 127.0.0.1.
func (h *Host) Port() int { return h.port }

// Addr is the host's SSH address, "127.0.0.1:PORT".
func (h *Host) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(h.port)) }

// HostKey is the host key the server presents right now (it differs from
// known_hosts after RotateHostKey).
func (h *Host) HostKey() ssh.PublicKey {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.curKey.PublicKey()
}

// Snapshot returns a copy of the host's simulated state.
func (h *Host) Snapshot() State {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := State{
		Unit:           h.w.unit,
		Unreachable:    h.w.unreachable,
		BackupStale:    h.w.backupStale,
		KeyRotated:     h.w.keyRotated,
		LibvirtVersion: versionString(h.w.libVersion),
		QEMUVersion:    versionString(h.w.hvVersion),
	}
	for _, d := range h.w.domains {
		s.VMs = append(s.VMs, VMState{d.name, d.state, d.reason, d.autostart})
	}
	s.Networks = h.w.networkStates()
	return s
}

// StopDaemon stops the hypervisor daemon cleanly (is-active: inactive). Open
// libvirt channels close and new ones are refused, as on a real host.
func (h *Host) StopDaemon() { h.stopDaemon(false) }

// crashDaemon kills the daemon (is-active: failed), the timeline's incident.
func (h *Host) crashDaemon() { h.stopDaemon(true) }

func (h *Host) stopDaemon(crash bool) {
	if h.hv != nil { // a Hyper-V host's daemon is vmms
		h.SetVMMSRunning(false)
		return
	}
	h.mu.Lock()
	if h.w.unit == unitActive {
		h.w.journalStop(&h.journal, time.Now(), crash)
		h.w.unit, h.w.stoppedAt = unitInactive, time.Now()
		if crash {
			h.w.unit = unitFailed
		}
	}
	chans := h.takeRPCs()
	h.mu.Unlock()
	closeAll(chans)
}

// StartDaemon starts the hypervisor daemon if it is not running.
func (h *Host) StartDaemon() {
	if h.hv != nil {
		h.SetVMMSRunning(true)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w.unit != unitActive {
		h.startLocked()
	}
}

func (h *Host) startLocked() {
	h.w.unit = unitActive
	h.w.pid += 7 + len(h.journal.entries)
	h.w.journalStart(&h.journal, time.Now())
}

// restartDaemon is what "systemctl restart libvirtd" does: stop (dropping
// every libvirt client, as a real restart does) and start.
func (h *Host) restartDaemon() {
	h.mu.Lock()
	if h.w.unit == unitActive {
		h.w.journalStop(&h.journal, time.Now(), false)
	}
	chans := h.takeRPCs()
	h.startLocked()
	h.mu.Unlock()
	closeAll(chans)
}

// CrashVM makes a VM's QEMU process die: the domain shows as shut off with
// reason crashed, as after a kill -9 of QEMU.
func (h *Host) CrashVM(name string) error {
	if h.hv != nil {
		return h.SetHyperVVMState(name, "RunningCritical")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.w.domainByName(name)
	if !ok {
		return fmt.Errorf("simfleet: crash %q on %s: %w", name, h.name, ErrNoVM)
	}
	before := *d
	d.state, d.reason, d.id = libvirt.DomainShutoff, int32(libvirt.DomainShutoffCrashed), -1
	h.w.journalVMCrash(&h.journal, time.Now(), name)
	if before.id >= 0 { // an inactive domain has no QEMU to die: no event
		h.emitLocked(before, evCrashed)
	}
	return nil
}

// SetBackupStale hides (true) or restores the newest backup set, as if last
// night's backup job had not run.
func (h *Host) SetBackupStale(stale bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.w.backupStale = stale
}

// SetUnreachable makes the host refuse new TCP connections (reset) and drops
// every open connection (true), or accept them again (false). The listening
// port stays reserved so the host comes back on the same address.
func (h *Host) SetUnreachable(down bool) {
	h.mu.Lock()
	h.w.unreachable = down
	var conns []net.Conn
	if down {
		conns = h.takeConns()
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// RotateHostKey makes the server present a newly generated host key, so a
// strict known_hosts client must refuse it with a key mismatch. Existing
// connections keep working, as with a real sshd.
func (h *Host) RotateHostKey() error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("simfleet: rotate host key of %s: %w", h.name, err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return fmt.Errorf("simfleet: rotate host key of %s: %w", h.name, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.curKey, h.server = signer, h.fleet.serverConfig(signer)
	h.w.keyRotated = true
	return nil
}

// RestoreHostKey makes the server present its known_hosts key again.
func (h *Host) RestoreHostKey() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.curKey, h.server = h.baseKey, h.fleet.serverConfig(h.baseKey)
	h.w.keyRotated = false
}

// takeRPCs empties the set of open libvirt channels; h.mu must be held.
func (h *Host) takeRPCs() []ssh.Channel {
	out := make([]ssh.Channel, 0, len(h.rpcs))
	for c := range h.rpcs {
		out = append(out, c)
	}
	clear(h.rpcs)
	return out
}

// takeConns empties the set of open connections; h.mu must be held.
func (h *Host) takeConns() []net.Conn {
	out := make([]net.Conn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	clear(h.conns)
	return out
}

func closeAll(chans []ssh.Channel) {
	for _, c := range chans {
		c.Close()
	}
}
