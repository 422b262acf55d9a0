package simfleet

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The resources and storage figures of a simulated host: memory, load, the
// image filesystem and two storage pools, all plausible and healthy. They
// come from their own random stream so that adding them changed nothing
// else a seed generates.

// libvirt error number and domain for a missing pool (virterror.h).
const (
	errNoStoragePool = 49
	fromStorage      = 18
)

// resources are a simulated host's capacity figures.
type resources struct {
	freeKiB, buffersKiB, cachedKiB uint64
	load                           [3]float64
	diskTotal, diskUsed            uint64 // bytes, the image filesystem
	pools                          []storagePool
}

// storagePool is one simulated storage pool.
type storagePool struct {
	name                 string
	uuid                 [16]byte
	state                libvirt.StoragePoolState
	autostart            bool
	capacity, allocation uint64
}

// newResources draws host idx's figures: 35-75% of memory free, a load of
// 0.1-0.9 per CPU, the image disk 30-70% full, and two running autostart
// pools ("default" on the image disk, "backup" 20-60% full).
func newResources(seed int64, idx int, node nodeInfo) resources {
	rng := rand.New(rand.NewPCG(uint64(seed)^0x7265736f75726365, uint64(idx)))
	freePct := uint64(35 + rng.IntN(41))
	r := resources{
		freeKiB:    node.memoryKiB * freePct / 100 * 6 / 10,
		buffersKiB: node.memoryKiB * freePct / 100 / 10,
		cachedKiB:  node.memoryKiB * freePct / 100 * 3 / 10,
		diskTotal:  uint64(500+rng.IntN(1500)) << 30,
	}
	r.diskUsed = r.diskTotal / 100 * uint64(30+rng.IntN(41))
	per := 0.1 + rng.Float64()*0.8
	r.load = [3]float64{per * float64(node.cpus), per * float64(node.cpus) * 0.9, per * float64(node.cpus) * 0.8}
	backupCap := uint64(2000+rng.IntN(2000)) << 30
	for i, p := range []storagePool{
		{name: "default", capacity: r.diskTotal, allocation: r.diskUsed},
		{name: "backup", capacity: backupCap, allocation: backupCap / 100 * uint64(20+rng.IntN(41))},
	} {
		p.state, p.autostart = libvirt.StoragePoolRunning, true
		for j := range p.uuid {
			p.uuid[j] = byte(rng.Uint32())
		}
		p.uuid[0] = byte(i)
		r.pools = append(r.pools, p)
	}
	return r
}

// domainMemKiB is a simulated domain's maximum memory: 1-4 GiB, fixed by
// its UUID so that it needs no state of its own.
func domainMemKiB(d domain) uint64 { return uint64(1+d.uuid[0]%4) << 20 }

// encodeDomainInfo writes remote_domain_get_info_ret.
func encodeDomainInfo(w *xdrWriter, d domain) {
	w.uint32(uint32(d.state))
	w.uint64(domainMemKiB(d))
	w.uint64(domainMemKiB(d))
	w.uint32(2)
	w.uint64(0)
}

// nodeMemoryStats decodes {int nparams; int cellNum; u_int flags}: with
// nparams 0 it answers how many there are, else the counters in KiB.
func (c *rpcConn) nodeMemoryStats(r *xdrReader) ([]byte, *rpcError) {
	n := r.int32()
	cell := r.int32()
	r.uint32()
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	if cell != int32(libvirt.NodeMemoryStatsAllCells) && cell != 0 {
		return nil, &rpcError{code: errInvalidArg, domain: fromRemote, msg: fmt.Sprintf("invalid argument: cell %d", cell)}
	}
	c.h.mu.Lock()
	total, res := c.h.w.node.memoryKiB, c.h.w.res
	c.h.mu.Unlock()
	type stat struct {
		field string
		v     uint64
	}
	stats := []stat{{"total", total}, {"free", res.freeKiB}, {"buffers", res.buffersKiB}, {"cached", res.cachedKiB}}
	var w xdrWriter
	writeList(&w, n, stats, func(w *xdrWriter, s stat) { w.string(s.field); w.uint64(s.v) })
	return w.b, nil
}

// listAllPools decodes {int need_results; u_int flags} and returns every pool.
func (c *rpcConn) listAllPools(r *xdrReader) ([]byte, *rpcError) {
	need := r.int32()
	r.uint32()
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	c.h.mu.Lock()
	pools := append([]storagePool(nil), c.h.w.res.pools...)
	c.h.mu.Unlock()
	var w xdrWriter
	writeList(&w, need, pools, func(w *xdrWriter, p storagePool) { writeNamed(w, p.name, p.uuid) })
	return w.b, nil
}

// poolCall decodes {remote_nonnull_storage_pool pool}, looks the pool up
// by UUID and answers with enc.
func (c *rpcConn) poolCall(r *xdrReader, enc func(*xdrWriter, storagePool)) ([]byte, *rpcError) {
	name := r.string(maxName)
	uuid := r.fixedOpaque(16)
	if err := r.end(); err != nil {
		return nil, badArgs(err)
	}
	c.h.mu.Lock()
	var found *storagePool
	for i := range c.h.w.res.pools {
		if string(c.h.w.res.pools[i].uuid[:]) == string(uuid) {
			p := c.h.w.res.pools[i]
			found = &p
		}
	}
	c.h.mu.Unlock()
	if found == nil {
		return nil, &rpcError{code: errNoStoragePool, domain: fromStorage,
			msg: fmt.Sprintf("Storage pool not found: no storage pool with matching uuid '%s' (%s)", formatUUID(uuid), name)}
	}
	var w xdrWriter
	enc(&w, *found)
	return w.b, nil
}

func encodePoolInfo(w *xdrWriter, p storagePool) {
	w.uint32(uint32(p.state))
	w.uint64(p.capacity)
	w.uint64(p.allocation)
	w.uint64(p.capacity - p.allocation)
}

// matchLoad answers "cat /proc/loadavg".
func matchLoad(h *Host, cmd string) (result, bool) {
	if cmd != remote.HostLoadCommand {
		return result{}, false
	}
	h.mu.Lock()
	l, n := h.w.res.load, len(h.w.domains)
	h.mu.Unlock()
	return result{stdout: fmt.Sprintf("%.2f %.2f %.2f %d/%d %d\n", l[0], l[1], l[2], 1+n/2, 300+10*n, 4000+n)}, true
}

// matchMemInfo answers "cat /proc/meminfo" with the counters libvirt reports.
func matchMemInfo(h *Host, cmd string) (result, bool) {
	if cmd != remote.MemInfoCommand {
		return result{}, false
	}
	h.mu.Lock()
	total, r := h.w.node.memoryKiB, h.w.res
	h.mu.Unlock()
	return result{stdout: fmt.Sprintf("MemTotal: %d kB\nMemFree: %d kB\nMemAvailable: %d kB\nBuffers: %d kB\nCached: %d kB\n",
		total, r.freeKiB, r.freeKiB+r.buffersKiB+r.cachedKiB, r.buffersKiB, r.cachedKiB)}, true
}

// imagesPrefix is the simulated folder under which image paths exist; any
// other path is missing, as df reports it.
const imagesPrefix = "/var/lib/libvirt"

// dfPrefix is the text DiskUsageCommand puts before its first path (paths
// must be absolute, so builderPrefix's relative probe word cannot be used).
var dfPrefix = func() string {
	cmd, err := remote.DiskUsageCommand([]string{"/probe"})
	if err != nil {
		return ""
	}
	prefix, _, _ := strings.Cut(cmd, remote.ShellQuote("/probe"))
	return prefix
}()

// matchDiskUsage answers "df -P -B1 -- P...": paths under /var/lib/libvirt
// are on the image filesystem, "/" on the root one; others are missing.
func matchDiskUsage(h *Host, cmd string) (result, bool) {
	rest, ok := strings.CutPrefix(cmd, dfPrefix)
	if !ok {
		return result{}, false
	}
	var paths []string
	for rest != "" {
		p, r, ok := remote.ShellUnquote(strings.TrimPrefix(rest, " "))
		if !ok {
			return result{}, false
		}
		paths, rest = append(paths, p), r
	}
	if again, err := remote.DiskUsageCommand(paths); err != nil || again != cmd {
		return result{}, false
	}
	h.mu.Lock()
	total, used := h.w.res.diskTotal, h.w.res.diskUsed
	h.mu.Unlock()
	res := result{stdout: "Filesystem 1-blocks Used Available Capacity Mounted on\n"}
	for _, p := range paths {
		switch {
		case p == imagesPrefix || strings.HasPrefix(p, imagesPrefix+"/"):
			res.stdout += dfLine("/dev/mapper/vg0-images", total, used, imagesPrefix)
		case p == "/":
			res.stdout += dfLine("/dev/sda2", 50<<30, 12<<30, "/")
		default:
			res.stderr += "df: " + strconv.Quote(p) + ": No such file or directory\n"
			res.code = 1
		}
	}
	return res, true
}

func dfLine(fs string, total, used uint64, mount string) string {
	avail := total - used
	pct := (used*100 + total - 1) / total
	return fmt.Sprintf("%s %d %d %d %d%% %s\n", fs, total, used, avail, pct, mount)
}
