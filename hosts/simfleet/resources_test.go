package simfleet

import (
	"fmt"
	"strings"
	"testing"

	libvirt "github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The resources and storage procedures through the real go-libvirt client.
func TestResourcesOverLibvirt(t *testing.T) {
	h := newTestHost(t, 7)
	l := connectPipe(t, h)
	w := h.lockedWorld()

	t.Run("memory stats", func(t *testing.T) {
		_, n, err := l.NodeGetMemoryStats(0, int32(libvirt.NodeMemoryStatsAllCells), 0)
		if err != nil || n != 4 {
			t.Fatalf("count = %d, %v", n, err)
		}
		params, _, err := l.NodeGetMemoryStats(n, int32(libvirt.NodeMemoryStatsAllCells), 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]uint64{}
		for _, p := range params {
			got[p.Field] = p.Value
		}
		avail := got["free"] + got["buffers"] + got["cached"]
		if got["total"] != w.node.memoryKiB || avail*100 < got["total"]*30 || avail*100 > got["total"]*80 {
			t.Errorf("memory stats %v for %d KiB", got, w.node.memoryKiB)
		}
	})
	t.Run("running domains' info", func(t *testing.T) {
		doms, _, err := l.ConnectListAllDomains(1, libvirt.ConnectListDomainsRunning)
		if err != nil || len(doms) == 0 {
			t.Fatalf("running domains %v, %v", doms, err)
		}
		for _, d := range doms {
			st, maxMem, mem, _, _, err := l.DomainGetInfo(d)
			if err != nil || maxMem < 1<<20 || maxMem > 4<<20 || mem != maxMem || st == 0 {
				t.Errorf("DomainGetInfo(%s) = %d, %d, %d, %v", d.Name, st, maxMem, mem, err)
			}
		}
	})
	t.Run("two pools", func(t *testing.T) {
		pools, n, err := l.ConnectListAllStoragePools(1, 0)
		if err != nil || n != 2 || len(pools) != 2 || pools[0].Name != "default" || pools[1].Name != "backup" {
			t.Fatalf("pools %v (%d), %v", pools, n, err)
		}
		for _, p := range pools {
			st, capacity, alloc, avail, err := l.StoragePoolGetInfo(p)
			if err != nil || libvirt.StoragePoolState(st) != libvirt.StoragePoolRunning || alloc > capacity || alloc+avail != capacity {
				t.Errorf("StoragePoolGetInfo(%s) = %d %d %d %d, %v", p.Name, st, capacity, alloc, avail, err)
			}
			auto, err := l.StoragePoolGetAutostart(p)
			if err != nil || auto != 1 {
				t.Errorf("StoragePoolGetAutostart(%s) = %d, %v", p.Name, auto, err)
			}
		}
	})
	t.Run("missing pool", func(t *testing.T) {
		_, _, _, _, err := l.StoragePoolGetInfo(libvirt.StoragePool{Name: "nope"})
		var le libvirt.Error
		if !asLibvirtError(err, &le) || le.Code != uint32(libvirt.ErrNoStoragePool) {
			t.Errorf("StoragePoolGetInfo(nope) = %v", err)
		}
	})
}

func asLibvirtError(err error, le *libvirt.Error) bool {
	e, ok := err.(libvirt.Error)
	if ok {
		*le = e
	}
	return ok
}

func TestResourceCommands(t *testing.T) {
	h := newTestHost(t, 7)
	w := h.lockedWorld()
	df := must(t)
	tests := []struct {
		name     string
		cmd      string
		wantOut  []string
		wantCode int
	}{
		{"loadavg", remote.HostLoadCommand, []string{fmt.Sprintf("%.2f ", w.res.load[0])}, 0},
		{"meminfo", remote.MemInfoCommand, []string{fmt.Sprintf("MemTotal: %d kB\n", w.node.memoryKiB), "MemAvailable: "}, 0},
		{"df images", df(remote.DiskUsageCommand([]string{"/var/lib/libvirt/images"})),
			[]string{"Filesystem 1-blocks", fmt.Sprintf(" %d %d ", w.res.diskTotal, w.res.diskUsed), " /var/lib/libvirt\n"}, 0},
		{"df two paths", df(remote.DiskUsageCommand([]string{"/", "/var/lib/libvirt/images"})),
			[]string{"/dev/sda2 ", "\n/dev/mapper/vg0-images "}, 0},
		{"df missing path", df(remote.DiskUsageCommand([]string{"/var/lib/libvirt/images", "/nope"})),
			[]string{"/dev/mapper/vg0-images "}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := h.run(tc.cmd)
			for _, w := range tc.wantOut {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("%s: output %q lacks %q", tc.cmd, res.stdout, w)
				}
			}
			if res.code != tc.wantCode {
				t.Errorf("%s: exit %d, want %d (stderr %q)", tc.cmd, res.code, tc.wantCode, res.stderr)
			}
		})
	}
	if res := h.run("df -P -B1 -- /etc"); res.code != 127 {
		t.Errorf("an unquoted df was answered: %+v", res)
	}
}
