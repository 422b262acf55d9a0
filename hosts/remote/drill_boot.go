package remote

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The L2 boot drill's wire contract: the overlay command, the transient
// domain's XML and the names it uses. The restore before it is
// DrillCommand at DrillL2; the clean-up after it DrillCleanupCommand.

// DrillImage is the restored copy of drill id under dir.
func DrillImage(dir, id string) string { return DrillScratch(dir, id) + "/image" }

// DrillOverlay is the qcow2 overlay the boot drill's guest writes to, so
// the restored copy itself is never changed by the boot.
func DrillOverlay(dir, id string) string { return DrillScratch(dir, id) + "/overlay.qcow2" }

// DrillOverlayCommand creates drill id's overlay on its restored copy
// (backing format qcow2, or raw for an image that is not qcow2), under
// timeout and qemu-img's resource limits. It prints nothing on success;
// qemu-img's complaint goes to stderr.
func DrillOverlayCommand(dir, id string, qcow2 bool, limit time.Duration) (string, error) {
	if !ValidDrillID(id) || !drillPathOK(dir) || dir == "/" {
		return "", fmt.Errorf("%w: drill scratch %q %q", ErrBadArgument, dir, id)
	}
	if limit < time.Second || limit > 24*time.Hour {
		return "", fmt.Errorf("%w: overlay time limit %v", ErrBadArgument, limit)
	}
	format := "raw"
	if qcow2 {
		format = "qcow2"
	}
	secs := strconv.Itoa(int(limit / time.Second))
	return boundedQemuImg(secs, "create -q -f qcow2 -F "+format+" -b "+ShellQuote(DrillImage(dir, id))+" "+
		ShellQuote(DrillOverlay(dir, id))), nil
}

// DrillDomainPrefix starts the name of every boot drill's domain, so an
// operator (and a clean-up) can tell them from real guests.
const DrillDomainPrefix = "hvconsole-drill-"

// drillDomainRE is a drill domain's whole name: the prefix, the spec's
// name made safe, a random suffix.
var drillDomainRE = regexp.MustCompile(`^hvconsole-drill-[a-z0-9-]{1,32}-[0-9a-f]{8,16}$`)

// DrillDomainName names the boot drill of spec with the random suffix
// (hex): the spec's name is lowered and every other character becomes '-'.
func DrillDomainName(spec, random string) (string, error) {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, spec)
	if len(safe) > 32 {
		safe = safe[:32]
	}
	name := DrillDomainPrefix + safe + "-" + random
	if !drillDomainRE.MatchString(name) {
		return "", fmt.Errorf("%w: drill domain name %q", ErrBadArgument, name)
	}
	return name, nil
}

// DrillDomain is what the boot drill's transient domain is made of.
type DrillDomain struct {
	Name    string // DrillDomainName
	Overlay string // DrillOverlay: the one disk
	// Arch is the guest architecture the host runs under KVM (from
	// ParseKVMArch).
	Arch      string
	MemoryMiB int
}

// GuestAgentChannel is the virtio-serial port the QEMU guest agent
// listens on inside the guest.
const GuestAgentChannel = "org.qemu.guest_agent.0"

var archRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// drillDomainXML is the domain document, built with encoding/xml so no
// value can change its structure.
type drillDomainXML struct {
	XMLName xml.Name `xml:"domain"`
	Type    string   `xml:"type,attr"`
	Name    string   `xml:"name"`
	Memory  struct {
		Unit  string `xml:"unit,attr"`
		Value int    `xml:",chardata"`
	} `xml:"memory"`
	VCPU int `xml:"vcpu"`
	OS   struct {
		Type struct {
			Arch  string `xml:"arch,attr"`
			Value string `xml:",chardata"`
		} `xml:"type"`
		Boot struct {
			Dev string `xml:"dev,attr"`
		} `xml:"boot"`
	} `xml:"os"`
	Features *struct {
		ACPI struct{} `xml:"acpi"`
	} `xml:"features,omitempty"`
	OnPoweroff string `xml:"on_poweroff"`
	OnReboot   string `xml:"on_reboot"`
	OnCrash    string `xml:"on_crash"`
	Devices    struct {
		Disk struct {
			Type   string `xml:"type,attr"`
			Device string `xml:"device,attr"`
			Driver struct {
				Name string `xml:"name,attr"`
				Type string `xml:"type,attr"`
			} `xml:"driver"`
			Source struct {
				File string `xml:"file,attr"`
			} `xml:"source"`
			Target struct {
				Dev string `xml:"dev,attr"`
				Bus string `xml:"bus,attr"`
			} `xml:"target"`
		} `xml:"disk"`
		Channel struct {
			Type   string `xml:"type,attr"`
			Source struct {
				Mode string `xml:"mode,attr"`
			} `xml:"source"`
			Target struct {
				Type string `xml:"type,attr"`
				Name string `xml:"name,attr"`
			} `xml:"target"`
		} `xml:"channel"`
		MemBalloon struct {
			Model string `xml:"model,attr"`
		} `xml:"memballoon"`
	} `xml:"devices"`
}

// DrillDomainXML is the transient domain of a boot drill: KVM, the
// overlay as its one virtio disk, the guest agent's channel, and no
// network interface at all (libvirt adds none unless asked: a restored
// guest never meets the production network with its production identity).
func DrillDomainXML(d DrillDomain) (string, error) {
	switch {
	case !drillDomainRE.MatchString(d.Name):
		return "", fmt.Errorf("%w: drill domain name %q", ErrBadArgument, d.Name)
	case !drillPathOK(d.Overlay) || strings.ContainsAny(d.Overlay, `"\`):
		return "", fmt.Errorf("%w: overlay %q", ErrBadArgument, d.Overlay)
	case !archRE.MatchString(d.Arch):
		return "", fmt.Errorf("%w: architecture %q", ErrBadArgument, d.Arch)
	case d.MemoryMiB < 64 || d.MemoryMiB > 1<<20:
		return "", fmt.Errorf("%w: memory %d MiB", ErrBadArgument, d.MemoryMiB)
	}
	var x drillDomainXML
	x.Type, x.Name, x.VCPU = "kvm", d.Name, 1
	x.Memory.Unit, x.Memory.Value = "MiB", d.MemoryMiB
	x.OS.Type.Arch, x.OS.Type.Value, x.OS.Boot.Dev = d.Arch, "hvm", "hd"
	if d.Arch == "x86_64" || d.Arch == "i686" {
		x.Features = &struct {
			ACPI struct{} `xml:"acpi"`
		}{}
	}
	x.OnPoweroff, x.OnReboot, x.OnCrash = "destroy", "restart", "destroy"
	disk := &x.Devices.Disk
	disk.Type, disk.Device, disk.Driver.Name, disk.Driver.Type = "file", "disk", "qemu", "qcow2"
	disk.Source.File, disk.Target.Dev, disk.Target.Bus = d.Overlay, "vda", "virtio"
	ch := &x.Devices.Channel
	ch.Type, ch.Source.Mode, ch.Target.Type, ch.Target.Name = "unix", "bind", "virtio", GuestAgentChannel
	x.Devices.MemBalloon.Model = "none"
	b, err := xml.MarshalIndent(x, "", "  ")
	if err != nil {
		return "", fmt.Errorf("remote: drill domain XML: %w", err)
	}
	return string(b), nil
}
