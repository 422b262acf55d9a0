package probes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// execFunc runs one remote command (from hosts/commands.go) under ctx, as
// Conn.Exec does.
type execFunc func(ctx context.Context, cmd string) (ExecResult, error)

// nodeFacts is what libvirt told about the host's capacity.
type nodeFacts struct {
	model string
	cpus  int
	mhz   int
	// memTotal and memAvail are bytes; memFromLibvirt is false when the
	// driver keeps no memory statistics (then /proc/meminfo is read).
	memTotal, memAvail uint64
	memFromLibvirt     bool
	memErr             error
	// committed is the running VMs' maximum memory in bytes, of running VMs.
	committed uint64
	running   int
	commitErr error
}

// resourceFacts is everything the resources check read this round.
type resourceFacts struct {
	node    nodeFacts
	nodeErr error
	load    remote.LoadAvg
	loadErr error
	disks   []remote.DiskUse
	diskErr error
	latency time.Duration
}

// resourcesCheck runs the resources check on one host: CPU count and
// model, memory total and free, memory committed to running VMs (from
// libvirt through call) and the load average and disk use of h.ImagePaths
// (one exec of a batch). It rates them against h's thresholds:
//
//   - free memory below MemFreeCrit% CRIT, below MemFreeWarn% WARN;
//   - an image filesystem fuller than DiskUseCrit% CRIT, DiskUseWarn% WARN;
//   - 1-minute load per CPU above LoadPerCPUWarn WARN;
//   - running VMs' maximum memory above the host's memory WARN
//     ("memory overcommitted");
//   - a figure that could not be read makes the check UNKNOWN with the
//     reason (libvirt silent: nothing else is asked).
//
// It also returns the figures for HostReport.Resources (nil when libvirt
// did not answer). ctx bounds everything, each libvirt exchange through
// call on s.
func resourcesCheck(ctx context.Context, s *lvSession, exec execFunc, h hosts.Host, now time.Time) (Result, *Resources) {
	start := time.Now()
	f := resourceFacts{}
	f.node, f.nodeErr = readNode(ctx, s)
	if f.nodeErr == nil {
		readHostCommands(ctx, exec, h, &f)
	}
	f.latency = time.Since(start)
	res := resourcesResult(h, f, now)
	if f.nodeErr != nil {
		return res, nil
	}
	return res, f.resources()
}

// resources copies the facts out for the UI.
func (f resourceFacts) resources() *Resources {
	r := &Resources{Model: f.node.model, CPUs: f.node.cpus, Load1: -1}
	if f.node.memErr == nil {
		r.MemTotal, r.MemFree = f.node.memTotal, f.node.memAvail
	}
	if f.node.commitErr == nil {
		r.MemCommitted = f.node.committed
	}
	if f.loadErr == nil {
		r.Load1 = f.load.Load1
	}
	r.Disks = append([]remote.DiskUse(nil), f.disks...)
	return r
}

// readNode asks libvirt for the node's CPUs, memory and the running VMs'
// memory. Only an error of the first call fails it: the others are
// recorded in the facts.
func readNode(ctx context.Context, s *lvSession) (nodeFacts, error) {
	f, err := call(ctx, s, "node info", func(api libvirtAPI) (nodeFacts, error) {
		model, mem, cpus, mhz, _, _, _, _, err := api.NodeGetInfo()
		return nodeFacts{model: remote.CleanLine(int8String(model[:])), memTotal: remote.SatMul(mem, 1024),
			cpus: int(cpus), mhz: int(mhz)}, err
	})
	if err != nil {
		return f, err
	}
	mem, err := call(ctx, s, "node memory stats", readMemStats)
	var le libvirt.Error
	switch {
	case errors.As(err, &le) && le.Code == uint32(libvirt.ErrNoSupport):
		f.memErr = errMemNotFromLibvirt
	case err != nil:
		f.memErr = err
	default:
		f.memTotal, f.memAvail, f.memFromLibvirt = mem.total, mem.avail, true
	}
	c, err := call(ctx, s, "running domains", readCommitted)
	f.committed, f.running, f.commitErr = c.bytes, c.running, err
	return f, nil
}

// errMemNotFromLibvirt marks a driver without node memory statistics (the
// test driver, some remote drivers): /proc/meminfo is read instead.
var errMemNotFromLibvirt = errors.New("probes: node memory statistics not supported by the driver")

// memFigures is the node's memory in bytes: total, and available to new
// guests.
type memFigures struct{ total, avail uint64 }

// readMemStats reads the node's memory counters (KiB): total, and free plus
// buffers plus cached as the memory available to new guests.
func readMemStats(api libvirtAPI) (memFigures, error) {
	_, n, err := api.NodeGetMemoryStats(0, int32(libvirt.NodeMemoryStatsAllCells), 0)
	if err != nil {
		return memFigures{}, err
	}
	if n <= 0 || n > 64 {
		return memFigures{}, fmt.Errorf("%w: node memory stats: %d parameters", remote.ErrUnparseable, n)
	}
	params, _, err := api.NodeGetMemoryStats(n, int32(libvirt.NodeMemoryStatsAllCells), 0)
	if err != nil {
		return memFigures{}, err
	}
	got := map[string]uint64{}
	for _, p := range params {
		got[p.Field] = p.Value
	}
	total, ok := got["total"]
	if !ok || total == 0 {
		return memFigures{}, fmt.Errorf("%w: node memory stats without a total", remote.ErrUnparseable)
	}
	m := memFigures{total: remote.SatMul(total, 1024)}
	m.avail = min(remote.SatMul(remote.SatAdd(remote.SatAdd(got["free"], got["buffers"]), got["cached"]), 1024), m.total)
	return m, nil
}

// commitment is the running domains' maximum memory in bytes.
type commitment struct {
	bytes   uint64
	running int
}

// readCommitted sums the maximum memory of the running domains. Only
// running domains are asked: DomainGetInfo fails on inactive ones in some
// libvirt versions. A domain gone meanwhile is skipped.
func readCommitted(api libvirtAPI) (commitment, error) {
	var c commitment
	doms, _, err := api.ConnectListAllDomains(1, libvirt.ConnectListDomainsRunning)
	if err != nil {
		return c, err
	}
	for _, d := range doms[:min(len(doms), remote.MaxDomains)] {
		_, maxMem, _, _, _, err := api.DomainGetInfo(d)
		if libvirt.IsNotFound(err) {
			continue
		}
		if err != nil {
			return c, fmt.Errorf("info of %s: %w", remote.CleanLine(d.Name), err)
		}
		c.bytes = remote.SatAdd(c.bytes, remote.SatMul(maxMem, 1024))
		c.running++
	}
	return c, nil
}

// readHostCommands runs the load, meminfo (when libvirt had no memory
// figures) and disk commands in one batch and parses each part.
func readHostCommands(ctx context.Context, exec execFunc, h hosts.Host, f *resourceFacts) {
	cmds := []string{remote.HostLoadCommand}
	wantMem := errors.Is(f.node.memErr, errMemNotFromLibvirt)
	if wantMem {
		cmds = append(cmds, remote.MemInfoCommand)
	}
	var dfErr error
	if len(h.ImagePaths) > 0 {
		df, err := remote.DiskUsageCommand(h.ImagePaths)
		if err != nil {
			dfErr = fmt.Errorf("probes: image paths: %w", err)
		} else {
			cmds = append(cmds, df)
		}
	}
	parts, err := runBatch(ctx, exec, cmds)
	f.load, f.loadErr = partOr(parts[0], err, "loadavg", func(p remote.BatchPart) (remote.LoadAvg, error) { return remote.ParseLoadAvg(p.Output) })
	parts = parts[1:]
	if wantMem {
		mem, merr := partOr(parts[0], err, "meminfo", func(p remote.BatchPart) (remote.MemInfo, error) { return remote.ParseMemInfo(p.Output) })
		f.node.memErr = merr
		if merr == nil {
			f.node.memTotal, f.node.memAvail = mem.Total, mem.Available
		}
		parts = parts[1:]
	}
	switch {
	case len(h.ImagePaths) == 0:
	case dfErr != nil:
		f.diskErr = dfErr
	default:
		f.disks, f.diskErr = partOrKeep(parts[0], err, "df", func(p remote.BatchPart) ([]remote.DiskUse, error) {
			return remote.ParseDiskUsage(h.ImagePaths, p.Output, p.Exit)
		})
	}
}

// runBatch runs cmds as one remote.Batch through exec and splits the output.
func runBatch(ctx context.Context, exec execFunc, cmds []string) ([]remote.BatchPart, error) {
	parts := make([]remote.BatchPart, len(cmds))
	script, err := remote.Batch(cmds...)
	if err != nil {
		return parts, fmt.Errorf("probes: batch: %w", err)
	}
	res, err := exec(ctx, script.Script)
	switch {
	case err != nil && ctx.Err() != nil:
		return parts, fmt.Errorf("probes: exec: %w (%w)", errCallTimeout, err)
	case err != nil:
		return parts, fmt.Errorf("probes: exec: %w", err)
	case res.Truncated:
		return parts, fmt.Errorf("%w: output truncated by the transport", remote.ErrUnparseable)
	}
	return script.Split(string(res.Stdout)), nil
}

// partOr parses one batch part, or says why it cannot be parsed. A
// non-zero exit is an error for commands that must succeed; partOrKeep is
// for one whose non-zero exit still carries output worth parsing (df exits
// 1 when one path of several is missing).
func partOr[T any](p remote.BatchPart, err error, what string, parse func(remote.BatchPart) (T, error)) (T, error) {
	return parsePart(p, err, what, false, parse)
}

func partOrKeep[T any](p remote.BatchPart, err error, what string, parse func(remote.BatchPart) (T, error)) (T, error) {
	return parsePart(p, err, what, true, parse)
}

func parsePart[T any](p remote.BatchPart, err error, what string, keep bool, parse func(remote.BatchPart) (T, error)) (T, error) {
	var zero T
	switch {
	case err != nil:
		return zero, err
	case p.Exit < 0:
		return zero, fmt.Errorf("%w: %s: %w", remote.ErrUnparseable, what, errPartMissing)
	case p.Exit != 0 && !keep:
		return zero, fmt.Errorf("%w: %s: exit %d", remote.ErrUnparseable, what, p.Exit)
	}
	return parse(p)
}

// int8String reads libvirt's NUL-padded char array.
func int8String(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}
