package probes

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
)

func TestStorageCheck(t *testing.T) {
	running := func(name string, fillPct uint64) fakePool {
		return fakePool{name: name, state: libvirt.StoragePoolRunning, capacity: 100 * gib, alloc: fillPct * gib, autostart: true}
	}
	tests := []struct {
		name    string
		pools   []fakePool
		listErr error
		mod     func(h *hosts.Host)
		st      Status
		summary string
		detail  string
	}{
		{"no pools", nil, nil, nil, OK, "no storage pools", ""},
		{"two running", []fakePool{running("images", 41), running("backup", 10)}, nil, nil, OK,
			"2 of 2 pools running, fullest images 41%", "pool backup: running, 10% (10.0 GiB of 100.0 GiB), autostart\npool images: running, 41%"},
		{"inactive without autostart is fine", []fakePool{running("images", 41),
			{name: "iso", state: libvirt.StoragePoolInactive}}, nil, nil, OK,
			"1 of 2 pools running", "pool iso: inactive, no autostart"},
		{"inactive with autostart", []fakePool{{name: "images", state: libvirt.StoragePoolInactive, autostart: true}}, nil, nil, CRIT,
			"pool images inactive (autostart) | 0 of 1 pools running", "pool images: inactive, autostart"},
		{"degraded", []fakePool{{name: "raid", state: libvirt.StoragePoolDegraded}}, nil, nil, CRIT, "pool raid degraded", ""},
		{"inaccessible", []fakePool{{name: "nfs", state: libvirt.StoragePoolInaccessible, autostart: true}}, nil, nil, CRIT,
			"pool nfs inaccessible", "pool nfs: inaccessible, autostart"},
		{"building", []fakePool{{name: "new", state: libvirt.StoragePoolBuilding}}, nil, nil, OK, "0 of 1 pools running", "pool new: building"},
		{"unknown state", []fakePool{{name: "odd", state: 9}}, nil, nil, UNKNOWN, "pool odd in unknown state 9", ""},
		{"fill above warn", []fakePool{running("images", 86)}, nil, nil, WARN, "pool images 86% full (warn above 85%)", ""},
		{"fill above crit", []fakePool{running("images", 96), running("b", 90)}, nil, nil, CRIT,
			"pool images 96% full (crit above 95%); pool b 90% full (warn above 85%)", ""},
		{"fill threshold set low", []fakePool{running("images", 2)}, nil, func(h *hosts.Host) { h.DiskUseWarn = 1 }, WARN,
			"pool images 2% full (warn above 1%)", ""},
		{"empty capacity", []fakePool{{name: "z", state: libvirt.StoragePoolRunning}}, nil, nil, OK, "fullest z 0%", ""},
		{"a pool gone meanwhile is skipped", []fakePool{running("images", 41), {name: "gone", goneBeforeGetInfo: true}}, nil, nil, OK,
			"1 of 1 pools running", ""},
		{"pool info error", []fakePool{{name: "bad", state: libvirt.StoragePoolRunning,
			infoErr: libvirt.Error{Code: uint32(libvirt.ErrInternalError), Message: "cannot stat"}}}, nil, nil, UNKNOWN,
			"pool bad info unavailable", "pool bad: info unavailable: cannot stat"},
		{"autostart error", []fakePool{{name: "bad", state: libvirt.StoragePoolRunning,
			autoErr: libvirt.Error{Code: uint32(libvirt.ErrInternalError), Message: "no flag"}}}, nil, nil, UNKNOWN,
			"pool bad info unavailable", "info unavailable: no flag"},
		{"pool list fails", nil, errLibvirtClosed, nil, UNKNOWN, "storage pools unavailable: connection closed", ""},
		{"control characters in a name", []fakePool{{name: "x\x1b[2Jy\u202e", state: libvirt.StoragePoolDegraded}}, nil, nil, CRIT,
			"pool xy degraded", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := resourcesHost()
			if tc.mod != nil {
				tc.mod(&h)
			}
			n := &fakeNode{poolList: tc.pools, poolListErr: tc.listErr}
			at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			res := storageCheck(t.Context(), apiSession(t, n.stub()), h, at)
			if res.Status != tc.st || !strings.Contains(res.Summary, tc.summary) || !strings.Contains(res.Details, tc.detail) {
				t.Errorf("got %v %q\ndetails:\n%s\nwant %v %q, details with %q", res.Status, res.Summary, res.Details, tc.st, tc.summary, tc.detail)
			}
			if res.Check != hosts.CheckStorage || !res.Time.Equal(at) {
				t.Errorf("result %+v", res)
			}
		})
	}
}

// A non-libvirt error in a pool's info means the connection broke: the
// whole check is UNKNOWN rather than one pool.
func TestStorageCheckBrokenMidway(t *testing.T) {
	n := &fakeNode{poolList: []fakePool{{name: "a", state: libvirt.StoragePoolRunning, infoErr: errors.New("eof")}}}
	res := storageCheck(t.Context(), apiSession(t, n.stub()), resourcesHost(), time.Now())
	if res.Status != UNKNOWN || !strings.HasPrefix(res.Summary, "storage pools unavailable: ") {
		t.Errorf("got %v %q", res.Status, res.Summary)
	}
}

func TestPoolStateWord(t *testing.T) {
	for st, want := range map[uint8]string{0: "inactive", 1: "building", 2: "running", 3: "degraded", 4: "inaccessible", 5: "state 5"} {
		if got := poolStateWord(st); got != want {
			t.Errorf("PoolStateWord(%d) = %q, want %q", st, got, want)
		}
	}
}
