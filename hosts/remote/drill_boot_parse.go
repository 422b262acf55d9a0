package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNoKVM is returned by ParseKVMArch for a host whose libvirt offers no
// KVM guest (no /dev/kvm, or QEMU under TCG only).
var ErrNoKVM = errors.New("remote: the host offers no KVM guests")

// ParseKVMArch reads libvirt's capabilities XML and returns the guest
// architecture to boot under KVM: the host's own when it has a KVM
// domain type (hvm), else the first hvm guest that has one. ErrNoKVM when
// none does.
func ParseKVMArch(capsXML string) (string, error) {
	var doc struct {
		Host struct {
			Arch string `xml:"cpu>arch"`
		} `xml:"host"`
		Guests []struct {
			OSType string `xml:"os_type"`
			Arch   struct {
				Name    string `xml:"name,attr"`
				Domains []struct {
					Type string `xml:"type,attr"`
				} `xml:"domain"`
			} `xml:"arch"`
		} `xml:"guest"`
	}
	if err := decodeSecurityXML(capsXML, "capabilities", &doc); err != nil {
		return "", err
	}
	var kvm []string
	for _, g := range doc.Guests {
		if strings.TrimSpace(g.OSType) != "hvm" || !archRE.MatchString(g.Arch.Name) {
			continue
		}
		for _, d := range g.Arch.Domains {
			if d.Type == "kvm" {
				kvm = append(kvm, g.Arch.Name)
				break
			}
		}
	}
	if len(kvm) == 0 {
		return "", ErrNoKVM
	}
	for _, a := range kvm {
		if a == strings.TrimSpace(doc.Host.Arch) {
			return a, nil
		}
	}
	return kvm[0], nil
}

// GuestPing is the guest agent command the boot drill sends.
const GuestPing = `{"execute":"guest-ping"}`

// ErrAgentError is wrapped by ParseAgentReply when the guest agent
// answered with an error object.
var ErrAgentError = errors.New("remote: the guest agent answered an error")

// maxAgentReply bounds the reply read: guest-ping answers {"return":{}}.
const maxAgentReply = 64 << 10

// ParseAgentReply reads the guest agent's answer to GuestPing: nil for
// {"return":...}, ErrAgentError with the agent's class and description
// for {"error":...}, ErrUnparseable for anything else.
func ParseAgentReply(reply string) error {
	if len(reply) > maxAgentReply {
		return fmt.Errorf("%w: guest agent reply of %d bytes", ErrUnparseable, len(reply))
	}
	var r struct {
		Return *json.RawMessage `json:"return"`
		Error  *struct {
			Class string `json:"class"`
			Desc  string `json:"desc"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(reply), &r); err != nil {
		return fmt.Errorf("%w: guest agent reply: %w", ErrUnparseable, err)
	}
	switch {
	case r.Error != nil:
		return fmt.Errorf("%w: %s: %s", ErrAgentError, CleanLine(psShort(r.Error.Class)), CleanLine(psShort(r.Error.Desc)))
	case r.Return == nil:
		return fmt.Errorf("%w: guest agent reply without return or error", ErrUnparseable)
	}
	return nil
}
