package probes

import (
	"context"
	"fmt"
	"strings"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// fakeNode answers the resources and storage checks' procedures from fields,
// through the libvirt double (stub). release, when set, makes NodeGetInfo
// block until it is closed (a frozen daemon).
type fakeNode struct {
	model       string
	memKiB      uint64
	cpus        int32
	memStats    map[string]uint64 // KiB; nil: the driver does not support them
	running     []fakeRunning
	nodeErr     error
	listErr     error
	poolList    []fakePool
	poolListErr error
	release     chan struct{}
}

type fakeRunning struct {
	name   string
	maxKiB uint64
	gone   bool // undefined between the list and its info
}

type fakePool struct {
	name              string
	state             libvirt.StoragePoolState
	capacity, alloc   uint64
	autostart         bool
	infoErr, autoErr  error
	goneBeforeGetInfo bool
}

// stub hands the node's answers to the libvirt double.
func (f *fakeNode) stub() *stubLibvirt {
	return &stubLibvirt{
		NodeGetInfoFn:                f.NodeGetInfo,
		NodeGetMemoryStatsFn:         f.NodeGetMemoryStats,
		ConnectListAllDomainsFn:      f.ConnectListAllDomains,
		DomainGetInfoFn:              f.DomainGetInfo,
		ConnectListAllStoragePoolsFn: f.ConnectListAllStoragePools,
		StoragePoolGetInfoFn:         f.StoragePoolGetInfo,
		StoragePoolGetAutostartFn:    f.StoragePoolGetAutostart,
	}
}

var errNoSupport = libvirt.Error{Code: uint32(libvirt.ErrNoSupport),
	Message: "this function is not supported by the connection driver: virNodeGetMemoryStats"}

func (f *fakeNode) NodeGetInfo() ([32]int8, uint64, int32, int32, int32, int32, int32, int32, error) {
	if f.release != nil {
		<-f.release
	}
	var m [32]int8
	for i, c := range []byte(f.model) {
		if i < len(m) {
			m[i] = int8(c)
		}
	}
	return m, f.memKiB, f.cpus, 2400, 1, 1, f.cpus, 1, f.nodeErr
}

func (f *fakeNode) NodeGetMemoryStats(n int32, cell int32, flags uint32) ([]libvirt.NodeGetMemoryStats, int32, error) {
	if f.memStats == nil {
		return nil, 0, errNoSupport
	}
	if cell != int32(libvirt.NodeMemoryStatsAllCells) || flags != 0 {
		return nil, 0, fmt.Errorf("fake: cell %d flags %d", cell, flags)
	}
	if n == 0 {
		return nil, int32(len(f.memStats)), nil
	}
	var out []libvirt.NodeGetMemoryStats
	for _, k := range []string{"total", "free", "buffers", "cached"} {
		if v, ok := f.memStats[k]; ok {
			out = append(out, libvirt.NodeGetMemoryStats{Field: k, Value: v})
		}
	}
	return out, int32(len(out)), nil
}

func (f *fakeNode) ConnectListAllDomains(need int32, flags libvirt.ConnectListAllDomainsFlags) ([]libvirt.Domain, uint32, error) {
	if flags != libvirt.ConnectListDomainsRunning {
		return nil, 0, fmt.Errorf("fake: the resources check must ask for running domains only (flags %d)", flags)
	}
	var doms []libvirt.Domain
	for _, r := range f.running {
		doms = append(doms, libvirt.Domain{Name: r.name})
	}
	return doms, uint32(len(doms)), f.listErr
}

func (f *fakeNode) DomainGetInfo(d libvirt.Domain) (uint8, uint64, uint64, uint16, uint64, error) {
	for _, r := range f.running {
		if r.name == d.Name && !r.gone {
			return 1, r.maxKiB, r.maxKiB, 1, 0, nil
		}
	}
	return 0, 0, 0, 0, 0, libvirt.Error{Code: uint32(libvirt.ErrNoDomain), Message: "Domain not found"}
}

func (f *fakeNode) ConnectListAllStoragePools(need int32, flags libvirt.ConnectListAllStoragePoolsFlags) ([]libvirt.StoragePool, uint32, error) {
	var out []libvirt.StoragePool
	for _, p := range f.poolList {
		out = append(out, libvirt.StoragePool{Name: p.name})
	}
	return out, uint32(len(out)), f.poolListErr
}

var errNoPool = libvirt.Error{Code: uint32(libvirt.ErrNoStoragePool), Message: "Storage pool not found"}

func (f *fakeNode) pool(name string) (fakePool, bool) {
	for _, p := range f.poolList {
		if p.name == name && !p.goneBeforeGetInfo {
			return p, true
		}
	}
	return fakePool{}, false
}

func (f *fakeNode) StoragePoolGetInfo(sp libvirt.StoragePool) (uint8, uint64, uint64, uint64, error) {
	p, ok := f.pool(sp.Name)
	if !ok {
		return 0, 0, 0, 0, errNoPool
	}
	return uint8(p.state), p.capacity, p.alloc, p.capacity - p.alloc, p.infoErr
}

func (f *fakeNode) StoragePoolGetAutostart(sp libvirt.StoragePool) (int32, error) {
	p, ok := f.pool(sp.Name)
	if !ok {
		return 0, errNoPool
	}
	if p.autostart {
		return 1, p.autoErr
	}
	return 0, p.autoErr
}

// fakeShell answers remote.Batch scripts from a table of commands; an
// unknown command gets exit 127 like sh. Every script it ran is recorded.
type fakeShell struct {
	answers map[string]fakeAnswer
	err     error
	scripts []string
}

type fakeAnswer struct {
	out  string
	exit int
}

func (s *fakeShell) exec(_ context.Context, script string) (ExecResult, error) {
	s.scripts = append(s.scripts, script)
	if s.err != nil {
		return ExecResult{}, s.err
	}
	boundary, cmds, ok := remote.UnBatch(script)
	if !ok {
		return ExecResult{ExitCode: 2}, nil
	}
	var b strings.Builder
	for i, c := range cmds {
		a, ok := s.answers[c]
		if !ok {
			a = fakeAnswer{exit: 127}
		}
		b.WriteString(remote.BatchFrame(boundary, i, a.out, a.exit))
	}
	return ExecResult{Stdout: []byte(b.String())}, nil
}

// ran reports whether cmd was part of any script.
func (s *fakeShell) ran(cmd string) bool {
	for _, sc := range s.scripts {
		if _, cmds, ok := remote.UnBatch(sc); ok {
			for _, c := range cmds {
				if c == cmd {
					return true
				}
			}
		}
	}
	return false
}
