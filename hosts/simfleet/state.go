package simfleet

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
)

// The simulated world of one host: what its hypervisor reports, which VMs it
// runs and which backup files lie in /srv/backups. Generated from the fleet
// seed and the host's index so that a seed always gives the same fleet.

// daemonUnit is the simulated hypervisor daemon's unit name.
const daemonUnit = "libvirtd"

// Unit states as systemctl is-active prints them.
const (
	unitActive   = "active"
	unitInactive = "inactive"
	unitFailed   = "failed"
)

// otherUnits are units that exist on every simulated host besides the daemon;
// they are always active and restart as a no-op.
var otherUnits = []string{"virtlogd", "ssh"}

// backupDir is where simulated backups live; it matches the generated config.
const backupDir = "/srv/backups"

// vmNames is the pool simulated VM names are drawn from.
var vmNames = []string{
	"web-01", "web-02", "db-main", "db-replica", "cache", "mail", "dns-1",
	"ci-runner", "build", "vpn-gw", "monitoring", "ldap", "files", "proxy",
}

// domain is one simulated libvirt domain.
type domain struct {
	name      string
	uuid      [16]byte
	id        int32 // -1 when inactive, as libvirt reports it
	state     libvirt.DomainState
	reason    int32
	autostart bool
	// base* are the state restored when the timeline loop ends.
	baseState  libvirt.DomainState
	baseReason int32
}

// backupFile is one simulated backup image (a FILE.sha256 sidecar exists too).
type backupFile struct {
	path  string
	size  int64
	mtime time.Time
	// nightly marks the newest backup set, which a stale host is missing.
	nightly bool
}

// hash is the file's simulated sha256, stable for a path and size.
func (b backupFile) hash() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s:%d", b.path, b.size))
	return hex.EncodeToString(sum[:])
}

// nodeInfo is what NodeGetInfo reports.
type nodeInfo struct {
	model                     string
	memoryKiB                 uint64
	cpus, mhz, nodes, sockets int32
	cores, threads            int32
	kvmModule                 string
}

// world is a host's simulated state; Host.mu guards it.
type world struct {
	libVersion uint64 // libvirt, e.g. 9000000 for 9.0.0
	hvVersion  uint64 // QEMU, e.g. 7002000 for 7.2.0
	node       nodeInfo
	domains    []domain
	backups    []backupFile
	res        resources
	networks   []network
	// unit is the daemon unit's is-active word; pid its current main PID.
	unit string
	pid  int
	// booted is when the host booted; stoppedAt when the daemon unit last
	// left active (zero: not since boot), for systemctl show's timestamps.
	booted, stoppedAt time.Time
	// backupStale hides the newest backup set (last night's job "failed").
	backupStale bool
	unreachable bool
	keyRotated  bool
}

// versions a simulated host may run: libvirt and QEMU as libvirt encodes them.
var versions = []struct{ lib, hv uint64 }{
	{9000000, 7002000}, // Debian 12
	{9000000, 7002000},
	{8000000, 6002000}, // Ubuntu 22.04
	{10000000, 8002000},
}

// newWorld generates host number idx's world from the fleet seed.
func newWorld(seed int64, idx int, now time.Time) world {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(idx)))
	v := versions[rng.IntN(len(versions))]
	w := world{
		libVersion: v.lib,
		hvVersion:  v.hv,
		node:       newNodeInfo(rng),
		unit:       unitActive,
		pid:        1000 + rng.IntN(30000),
		booted:     now.Add(-time.Duration(3+rng.IntN(60)) * 24 * time.Hour),
	}
	w.domains = newDomains(rng)
	w.backups = newBackups(rng, w.domains, now)
	w.res = newResources(seed, idx, w.node)
	w.networks = newNetworks(seed, idx)
	return w
}

func newNodeInfo(rng *rand.Rand) nodeInfo {
	sockets := int32(1 + rng.IntN(2))
	cores := int32(4 << rng.IntN(3))
	module := "kvm_intel"
	if rng.IntN(3) == 0 {
		module = "kvm_amd"
	}
	return nodeInfo{
		model:     "x86_64",
		memoryKiB: uint64(32<<rng.IntN(4)) * 1024 * 1024,
		cpus:      sockets * cores * 2,
		mhz:       int32(2000 + 100*rng.IntN(15)),
		nodes:     1,
		sockets:   sockets,
		cores:     cores,
		threads:   2,
		kvmModule: module,
	}
}

// newDomains makes 3-8 VMs: one paused by the user, one shut off, the rest
// running and marked autostart.
func newDomains(rng *rand.Rand) []domain {
	n := 3 + rng.IntN(6)
	names := rng.Perm(len(vmNames))[:n]
	doms := make([]domain, n)
	var nextID int32 = 1
	for i, ni := range names {
		d := domain{name: vmNames[ni], id: -1}
		for j := range d.uuid {
			d.uuid[j] = byte(rng.Uint32())
		}
		d.uuid[6] = d.uuid[6]&0x0f | 0x40 // a version 4 UUID, as libvirt makes
		d.uuid[8] = d.uuid[8]&0x3f | 0x80
		switch i {
		case n - 1:
			d.state, d.reason = libvirt.DomainShutoff, int32(libvirt.DomainShutoffShutdown)
		case n - 2:
			d.state, d.reason = libvirt.DomainPaused, int32(libvirt.DomainPausedUser)
		default:
			d.state, d.reason = libvirt.DomainRunning, int32(libvirt.DomainRunningBooted)
			d.autostart = true
		}
		if d.state != libvirt.DomainShutoff {
			d.id = nextID
			nextID++
		}
		d.baseState, d.baseReason = d.state, d.reason
		doms[i] = d
	}
	return doms
}

// newBackups makes two nightly backup sets for up to three running VMs: the
// newest 3-9 hours old, one VM after another 17 minutes apart, the previous
// set a day and three hours older. Sizes stay within 20% of a per-host base
// (4-7.5 GiB), so no size drop looks alarming.
func newBackups(rng *rand.Rand, doms []domain, now time.Time) []backupFile {
	newest := now.Add(-time.Duration(3*60+rng.IntN(6*60)) * time.Minute).Truncate(time.Second)
	base := (8 + rng.Int64N(8)) << 29
	var files []backupFile
	for _, d := range doms {
		if !d.autostart || len(files) >= 6 {
			continue
		}
		at := newest.Add(-time.Duration(len(files)/2*17) * time.Minute)
		for set, t := range []time.Time{at, at.Add(-27 * time.Hour)} {
			name := fmt.Sprintf("%s-%s.qcow2", d.name, t.Format("20060102"))
			files = append(files, backupFile{
				path:    path.Join(backupDir, name),
				size:    base + rng.Int64N(base/5),
				mtime:   t,
				nightly: set == 0,
			})
		}
	}
	return files
}

// visibleBackups returns the backup files that currently exist.
func (w *world) visibleBackups() []backupFile {
	out := make([]backupFile, 0, len(w.backups))
	for _, b := range w.backups {
		if !(w.backupStale && b.nightly) {
			out = append(out, b)
		}
	}
	return out
}

// backup finds an existing backup file by exact path.
func (w *world) backup(p string) (backupFile, bool) {
	for _, b := range w.visibleBackups() {
		if b.path == p {
			return b, true
		}
	}
	return backupFile{}, false
}

// domainByUUID finds a domain the way libvirt's remote driver does: by UUID.
func (w *world) domainByUUID(uuid []byte) (*domain, bool) {
	for i := range w.domains {
		if string(w.domains[i].uuid[:]) == string(uuid) {
			return &w.domains[i], true
		}
	}
	return nil, false
}

// domainByName finds a domain by name.
func (w *world) domainByName(name string) (*domain, bool) {
	for i := range w.domains {
		if w.domains[i].name == name {
			return &w.domains[i], true
		}
	}
	return nil, false
}

// nextDomainID returns the id a domain that starts now gets.
func (w *world) nextDomainID() int32 {
	var max int32
	for _, d := range w.domains {
		max = maxInt32(max, d.id)
	}
	return max + 1
}

func maxInt32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}

// versionString formats a libvirt-encoded version (major*1e6+minor*1e3+micro).
func versionString(v uint64) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}
