package simfleet

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Restore drills on a simulated libvirt host: the drill script (L0, L1 and
// L2's restore), the overlay and clean-up commands over simulated scratch
// files, and the boot drill's libvirt side: capabilities with or without
// KVM, transient domains (DomainCreateXML, DomainLookupByName,
// DomainDestroy; autodestroyed with the connection that started them) and
// the QEMU guest agent's answer to guest-ping, with scripted faults. This
// machine has no KVM, so this is where the boot drill's orchestration is
// tested.

// DrillFaults script how a simulated host answers a boot drill.
type DrillFaults struct {
	// NoKVM makes the capabilities offer no KVM guest (TCG only).
	NoKVM bool
	// AgentAfter is how many guest-pings the agent leaves unanswered (not
	// connected yet) before it answers.
	AgentAfter int
	// AgentNever: the agent never connects.
	AgentNever bool
	// AgentError, when set, is the error the agent answers guest-ping with.
	AgentError string
	// AgentGarbage: the agent answers text that is not JSON.
	AgentGarbage bool
	// GuestStops: the guest powers off at the first guest-ping (a
	// transient domain is then gone).
	GuestStops bool
	// CreateFails: DomainCreateXML fails as when QEMU cannot start.
	CreateFails bool
	// DestroyFails: DomainDestroy fails (the domain stays).
	DestroyFails bool
	// DropLink drops every SSH connection at the first guest-ping; with
	// LinkStaysDown the host then refuses new ones too.
	DropLink, LinkStaysDown bool
}

// drillWorld is a host's drill state; Host.mu guards it.
type drillWorld struct {
	faults DrillFaults
	// domains are the transient drill domains by name; files the scratch
	// files by path, with their size.
	domains map[string]*drillDomain
	files   map[string]int64
	pings   int
	// xml is the last domain XML DomainCreateXML was given.
	xml string
}

// drillDomain is a running transient domain.
type drillDomain struct {
	d           domain
	owner       *rpcConn
	autodestroy bool
}

// SetDrillFaults scripts the host's answers to boot drills.
func (h *Host) SetDrillFaults(f DrillFaults) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drill.faults = f
	h.drill.pings = 0
}

// DrillDomains names the transient drill domains that exist (sorted).
func (h *Host) DrillDomains() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.drill.domains))
}

// DrillFiles lists the drill scratch files that exist (sorted).
func (h *Host) DrillFiles() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.drill.files))
}

// LastDrillXML is the domain XML of the host's last DomainCreateXML.
func (h *Host) LastDrillXML() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.drill.xml
}

// simFreeBytes is what df reports free in any restore_dir.
const simFreeBytes = 1 << 40

// drillScriptRE finds the variable parts of a drill script.
var (
	drillSrcRE   = regexp.MustCompile(`(?m)^src=(.*)$`)
	drillDirRE   = regexp.MustCompile(`(?m)^d=(.*)$`)
	drillCountRE = regexp.MustCompile(`count=(\d+) conv=notrunc`)
)

// drillSpecOf reads the DrillSpec cmd was built from; ok only when
// remote.DrillCommand rebuilds cmd byte for byte from it.
func drillSpecOf(cmd string) (remote.DrillSpec, bool) {
	m := drillSrcRE.FindStringSubmatch(cmd)
	if m == nil {
		return remote.DrillSpec{}, false
	}
	src, _, ok := remote.ShellUnquote(m[1])
	if !ok {
		return remote.DrillSpec{}, false
	}
	s := remote.DrillSpec{File: src, Level: remote.DrillL0, QCOW2: strings.Contains(cmd, "qemu-img"), ToolTimeout: time.Second}
	if m := verifyLimitRE.FindStringSubmatch(cmd); m != nil {
		secs, _ := strconv.Atoi(m[1])
		s.ToolTimeout = time.Duration(secs) * time.Second
	}
	if m := drillDirRE.FindStringSubmatch(cmd); m != nil {
		d, _, ok := remote.ShellUnquote(m[1])
		if !ok {
			return remote.DrillSpec{}, false
		}
		s.RestoreDir, s.ID = path.Dir(d), strings.TrimPrefix(path.Base(d), "hvconsole-drill-")
		s.Level = remote.DrillL1
		if strings.Contains(cmd, "keep=0") {
			s.Level = remote.DrillL2
		}
	}
	if m := drillCountRE.FindStringSubmatch(cmd); m != nil && strings.Contains(cmd, "sleep 1; ") {
		s.RateMiB, _ = strconv.Atoi(m[1])
	}
	again, err := remote.DrillCommand(s)
	return s, err == nil && again == cmd
}

// matchDrill answers a drill script as on a host where every tool works:
// the copy matches, qemu-img finds nothing wrong. L2 keeps its copy.
func matchDrill(h *Host, cmd string) (result, bool) {
	s, ok := drillSpecOf(cmd)
	if !ok {
		return result{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f, found := h.w.backup(s.File)
	if !found {
		return result{stdout: "@@fail nosrc\n", code: 3}, true
	}
	now := time.Now().UnixNano()
	var b strings.Builder
	if s.Level >= remote.DrillL1 {
		fmt.Fprintf(&b, "@@size %d\n@@free %d\n@@phase copy\n@@t copy %d\n@@bytes 0\n@@bytes %d\n", f.size, int64(simFreeBytes), now, f.size)
	}
	fmt.Fprintf(&b, "@@phase verify\n@@t verify %d\n@@sidecar %s\n@@sha256 %s\n", now+1e6, f.hash(), f.hash())
	if s.QCOW2 {
		b.WriteString("@@check 0\n")
		if s.Level >= remote.DrillL1 {
			b.WriteString("@@compare 0\n")
		}
	}
	fmt.Fprintf(&b, "@@t end %d\n@@done\n", now+2e6)
	if s.Level == remote.DrillL2 {
		h.drillFiles()[remote.DrillImage(s.RestoreDir, s.ID)] = f.size
	}
	return result{stdout: b.String()}, true
}

// drillFiles is the scratch file map, made on first use; h.mu is held.
func (h *Host) drillFiles() map[string]int64 {
	if h.drill.files == nil {
		h.drill.files = map[string]int64{}
	}
	return h.drill.files
}

// overlayRE finds the variable parts of remote.DrillOverlayCommand.
var overlayRE = regexp.MustCompile(`^timeout -k \d+ (\d+) .* qemu-img create -q -f qcow2 -F (qcow2|raw) -b (.*)$`)

// matchDrillOverlay answers qemu-img create of a drill's overlay.
func matchDrillOverlay(h *Host, cmd string) (result, bool) {
	m := overlayRE.FindStringSubmatch(cmd)
	if m == nil {
		return result{}, false
	}
	img, _, ok := remote.ShellUnquote(m[3])
	if !ok || path.Base(img) != "image" {
		return result{}, false
	}
	dir, id := drillScratchParts(path.Dir(img))
	secs, _ := strconv.Atoi(m[1])
	again, err := remote.DrillOverlayCommand(dir, id, m[2] == "qcow2", time.Duration(secs)*time.Second)
	if err != nil || again != cmd {
		return result{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.drill.files[img]; !ok {
		return result{stderr: fmt.Sprintf("qemu-img: %s: Could not open '%s': No such file or directory\n",
			remote.DrillOverlay(dir, id), img), code: 1}, true
	}
	h.drillFiles()[remote.DrillOverlay(dir, id)] = 196608
	return result{}, true
}

// drillScratchParts splits a scratch folder into restore_dir and drill id.
func drillScratchParts(scratch string) (dir, id string) {
	return path.Dir(scratch), strings.TrimPrefix(path.Base(scratch), "hvconsole-drill-")
}

// matchDrillCleanup answers rm -rf of a drill's scratch folder.
func matchDrillCleanup(h *Host, cmd string) (result, bool) {
	build := func(scratch string) (string, error) {
		dir, id := drillScratchParts(scratch)
		return remote.DrillCleanupCommand(dir, id)
	}
	probe, _ := build("/x/hvconsole-drill-probe")
	prefix, _, _ := strings.Cut(probe, "'")
	scratch, ok := quotedArg(cmd, prefix, build)
	if !ok {
		return result{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for p := range h.drill.files {
		if strings.HasPrefix(p, scratch+"/") {
			delete(h.drill.files, p)
		}
	}
	return result{}, true
}
