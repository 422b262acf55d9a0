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

// resourcesAPI is the libvirt procedures the resources check calls; it is
// satisfied by *libvirt.Libvirt (and by the fakes in the tests).
type resourcesAPI interface {
	NodeGetInfo() (rModel [32]int8, rMemory uint64, rCpus int32, rMhz int32, rNodes int32, rSockets int32, rCores int32, rThreads int32, err error)
	NodeGetMemoryStats(nparams int32, cellNum int32, flags uint32) ([]libvirt.NodeGetMemoryStats, int32, error)
	ConnectListAllDomains(needResults int32, flags libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error)
	DomainGetInfo(dom libvirt.Domain) (rState uint8, rMaxMem uint64, rMemory uint64, rNrVirtCPU uint16, rCPUTime uint64, err error)
}

var _ resourcesAPI = (*libvirt.Libvirt)(nil)

// callFunc runs one libvirt exchange fn under ctx's deadline; the probe
// loop passes its session's do, which also drops a connection whose call
// outlived the deadline. go-libvirt calls take no context, so the checks
// never call the API except through it.
type callFunc func(ctx context.Context, what string, fn func() error) error

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
// did not answer). ctx bounds everything, each exchange through call.
func resourcesCheck(ctx context.Context, api resourcesAPI, call callFunc, exec execFunc, h hosts.Host, now time.Time) (Result, *Resources) {
	start := time.Now()
	f := resourceFacts{}
	f.node, f.nodeErr = readNode(ctx, api, call)
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
func readNode(ctx context.Context, api resourcesAPI, call callFunc) (nodeFacts, error) {
	var f nodeFacts
	err := call(ctx, "node info", func() error {
		model, mem, cpus, mhz, _, _, _, _, err := api.NodeGetInfo()
		f.model, f.memTotal, f.cpus, f.mhz = remote.CleanLine(int8String(model[:])), remote.SatMul(mem, 1024), int(cpus), int(mhz)
		return err
	})
	if err != nil {
		return f, err
	}
	f.memErr = call(ctx, "node memory stats", func() error { return readMemStats(api, &f) })
	var le libvirt.Error
	if errors.As(f.memErr, &le) && le.Code == uint32(libvirt.ErrNoSupport) {
		f.memErr = errMemNotFromLibvirt
	}
	f.commitErr = call(ctx, "running domains", func() error { return readCommitted(api, &f) })
	return f, nil
}

// errMemNotFromLibvirt marks a driver without node memory statistics (the
// test driver, some remote drivers): /proc/meminfo is read instead.
var errMemNotFromLibvirt = errors.New("probes: node memory statistics not supported by the driver")

// readMemStats reads the node's memory counters (KiB): total, and free plus
// buffers plus cached as the memory available to new guests.
func readMemStats(api resourcesAPI, f *nodeFacts) error {
	_, n, err := api.NodeGetMemoryStats(0, int32(libvirt.NodeMemoryStatsAllCells), 0)
	if err != nil {
		return err
	}
	if n <= 0 || n > 64 {
		return fmt.Errorf("%w: node memory stats: %d parameters", remote.ErrUnparseable, n)
	}
	params, _, err := api.NodeGetMemoryStats(n, int32(libvirt.NodeMemoryStatsAllCells), 0)
	if err != nil {
		return err
	}
	got := map[string]uint64{}
	for _, p := range params {
		got[p.Field] = p.Value
	}
	total, ok := got["total"]
	if !ok || total == 0 {
		return fmt.Errorf("%w: node memory stats without a total", remote.ErrUnparseable)
	}
	f.memTotal = remote.SatMul(total, 1024)
	f.memAvail = min(remote.SatMul(remote.SatAdd(remote.SatAdd(got["free"], got["buffers"]), got["cached"]), 1024), f.memTotal)
	f.memFromLibvirt = true
	return nil
}

// readCommitted sums the maximum memory of the running domains. Only
// running domains are asked: DomainGetInfo fails on inactive ones in some
// libvirt versions. A domain gone meanwhile is skipped.
func readCommitted(api resourcesAPI, f *nodeFacts) error {
	doms, _, err := api.ConnectListAllDomains(1, libvirt.ConnectListDomainsRunning)
	if err != nil {
		return err
	}
	for _, d := range doms[:min(len(doms), remote.MaxDomains)] {
		_, maxMem, _, _, _, err := api.DomainGetInfo(d)
		if libvirt.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("info of %s: %w", remote.CleanLine(d.Name), err)
		}
		f.committed = remote.SatAdd(f.committed, remote.SatMul(maxMem, 1024))
		f.running++
	}
	return nil
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
