package probes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// maxPools bounds how many pools one round asks about.
const maxPools = 1024

// Pool is one storage pool as the storage check saw it.
type Pool struct {
	Name string
	// State is inactive, building, running, degraded or inaccessible.
	State     string
	Autostart bool
	// Capacity and Allocation are bytes (0 when the pool is not running).
	Capacity, Allocation uint64
	// Err is set when the pool's info could not be read.
	Err error
}

// poolStateWords are libvirt's virStoragePoolState names.
var poolStateWords = []string{"inactive", "building", "running", "degraded", "inaccessible"}

// poolStateWord names a virStoragePoolState; unknown values read "state N".
func poolStateWord(st uint8) string {
	if int(st) < len(poolStateWords) {
		return poolStateWords[st]
	}
	return fmt.Sprintf("state %d", st)
}

// storageCheck runs the storage check on one host: every pool's state,
// autostart flag and allocation/capacity, read through call on s under
// ctx, and
// rated:
//
//   - degraded or inaccessible CRIT; inactive but set to autostart CRIT
//     (it should be running); inactive without autostart or building OK;
//   - a running pool fuller than h.DiskUseCrit% CRIT, h.DiskUseWarn% WARN;
//   - a pool whose info cannot be read, or an unknown state, UNKNOWN;
//   - libvirt not answering: UNKNOWN with the reason.
//
// Details hold one line per pool, in name order.
func storageCheck(ctx context.Context, s *lvSession, h hosts.Host, now time.Time) Result {
	res, _ := storagePools(ctx, s, h, now)
	return res
}

// storagePools is storageCheck that also returns the pools it read (nil
// when it could not list them).
func storagePools(ctx context.Context, s *lvSession, h hosts.Host, now time.Time) (Result, []Pool) {
	start := time.Now()
	pools, err := call(ctx, s, "storage pools", listPools)
	lat := time.Since(start)
	if err != nil {
		return newResult(h.Name, hosts.CheckStorage, UNKNOWN, "storage pools unavailable: "+reason(err), "", err, lat, now), nil
	}
	return storageResult(h, pools, lat, now), pools
}

// listPools reads every pool; one deleted meanwhile is skipped.
func listPools(api libvirtAPI) ([]Pool, error) {
	list, _, err := api.ConnectListAllStoragePools(1, 0)
	if err != nil {
		return nil, err
	}
	pools := make([]Pool, 0, min(len(list), maxPools))
	for _, lp := range list[:min(len(list), maxPools)] {
		p := Pool{Name: remote.CleanLine(lp.Name)}
		st, capacity, alloc, _, err := api.StoragePoolGetInfo(lp)
		if noPool(err) {
			continue
		}
		if err == nil {
			var auto int32
			auto, err = api.StoragePoolGetAutostart(lp)
			p.Autostart = auto != 0
		}
		if noPool(err) {
			continue
		}
		var le libvirt.Error
		if err != nil && !errors.As(err, &le) {
			return nil, fmt.Errorf("pool %s: %w", p.Name, err) // the connection broke
		}
		p.State, p.Capacity, p.Allocation, p.Err = poolStateWord(st), capacity, alloc, err
		pools = append(pools, p)
	}
	slices.SortFunc(pools, func(a, b Pool) int { return strings.Compare(a.Name, b.Name) })
	return pools, nil
}

// noPool reports libvirt's "storage pool not found".
func noPool(err error) bool {
	var le libvirt.Error
	return errors.As(err, &le) && le.Code == uint32(libvirt.ErrNoStoragePool)
}

// storageResult rates the pools (see storageCheck).
func storageResult(h hosts.Host, pools []Pool, lat time.Duration, now time.Time) Result {
	if len(pools) == 0 {
		return newResult(h.Name, hosts.CheckStorage, OK, "no storage pools", "", nil, lat, now)
	}
	var v verdict
	details := make([]string, 0, len(pools))
	running, fullest := 0, -1
	for i, p := range pools {
		details = append(details, poolDetail(p))
		ratePool(h, p, &v)
		if p.Err == nil && p.State == "running" {
			running++
			if fullest < 0 || poolFill(p) > poolFill(pools[fullest]) {
				fullest = i
			}
		}
	}
	figures := fmt.Sprintf("%d of %d pools running", running, len(pools))
	if fullest >= 0 {
		figures += fmt.Sprintf(", fullest %s %s", pools[fullest].Name, pctText(poolFill(pools[fullest])))
	}
	return newResult(h.Name, hosts.CheckStorage, v.st, v.summary(figures), strings.Join(details, "\n"), nil, lat, now)
}

// ratePool adds one pool's problems to v.
func ratePool(h hosts.Host, p Pool, v *verdict) {
	switch {
	case p.Err != nil:
		v.add(UNKNOWN, fmt.Sprintf("pool %s info unavailable", p.Name))
	case p.State == "degraded" || p.State == "inaccessible":
		v.add(CRIT, fmt.Sprintf("pool %s %s", p.Name, p.State))
	case p.State == "inactive" && p.Autostart:
		v.add(CRIT, fmt.Sprintf("pool %s inactive (autostart)", p.Name))
	case p.State == "running":
		switch fill := poolFill(p); {
		case fill > h.DiskUseCrit:
			v.add(CRIT, fmt.Sprintf("pool %s %s full (crit above %s)", p.Name, pctText(fill), pctText(h.DiskUseCrit)))
		case fill > h.DiskUseWarn:
			v.add(WARN, fmt.Sprintf("pool %s %s full (warn above %s)", p.Name, pctText(fill), pctText(h.DiskUseWarn)))
		}
	case p.State != "inactive" && p.State != "building":
		v.add(UNKNOWN, fmt.Sprintf("pool %s in unknown %s", p.Name, p.State))
	}
}

// poolFill is a pool's allocation of its capacity, in percent.
func poolFill(p Pool) float64 { return percentOf(p.Allocation, p.Capacity) }

func poolDetail(p Pool) string {
	if p.Err != nil {
		return fmt.Sprintf("pool %s: info unavailable: %s", p.Name, reason(p.Err))
	}
	auto := "no autostart"
	if p.Autostart {
		auto = "autostart"
	}
	if p.State != "running" {
		return fmt.Sprintf("pool %s: %s, %s", p.Name, p.State, auto)
	}
	return fmt.Sprintf("pool %s: running, %s (%s of %s), %s", p.Name, pctText(poolFill(p)),
		FormatBytes(p.Allocation), FormatBytes(p.Capacity), auto)
}
