package remote

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxSecurityXML bounds the XML the security check parses (capabilities,
// one domain): libvirt's own documents are a few kilobytes; a bigger one
// is refused, not parsed.
const maxSecurityXML = 1 << 20

// SecModel is one security driver the capabilities list (<secmodel>).
type SecModel struct {
	Model string
	// BaseLabels maps a virt type ("kvm", "qemu") to the label its
	// processes run under, e.g. "+64055:+64055" for the DAC model.
	BaseLabels map[string]string
}

// ParseSecModels reads the host's <secmodel> entries from a libvirt
// capabilities document.
func ParseSecModels(capsXML string) ([]SecModel, error) {
	var doc struct {
		Host struct {
			SecModels []struct {
				Model      string `xml:"model"`
				BaseLabels []struct {
					Type  string `xml:"type,attr"`
					Label string `xml:",chardata"`
				} `xml:"baselabel"`
			} `xml:"secmodel"`
		} `xml:"host"`
	}
	if err := decodeSecurityXML(capsXML, "capabilities", &doc); err != nil {
		return nil, err
	}
	out := make([]SecModel, 0, len(doc.Host.SecModels))
	for _, m := range doc.Host.SecModels {
		sm := SecModel{Model: CleanLine(strings.TrimSpace(m.Model)), BaseLabels: map[string]string{}}
		for _, b := range m.BaseLabels {
			sm.BaseLabels[CleanLine(b.Type)] = CleanLine(strings.TrimSpace(b.Label))
		}
		out = append(out, sm)
	}
	return out, nil
}

// DomainSecurity is what the security check reads from one domain's XML.
type DomainSecurity struct {
	Name string
	// Unconfined lists the models of top-level <seclabel type='none'>
	// entries ("" for one without a model: every driver off).
	Unconfined []string
	Graphics   []Graphics
}

// Graphics is one VNC or SPICE display of a domain.
type Graphics struct {
	Type string // "vnc" or "spice"
	// Listens are the addresses it listens on: the listen attribute and
	// each <listen type='address'>; "network:NAME" for a listen on a
	// libvirt network's address; none when it listens on a socket only.
	Listens []string
	// Default is set when the display names no listen address at all, so
	// qemu.conf's vnc_listen/spice_listen (127.0.0.1 unless set) applies.
	Default bool
	// SecureOnly is SPICE's defaultMode='secure': no plain-text channel.
	SecureOnly bool
}

// ParseDomainSecurity reads a domain's name, seclabels and graphics.
func ParseDomainSecurity(domXML string) (DomainSecurity, error) {
	var doc struct {
		Name      string `xml:"name"`
		SecLabels []struct {
			Type  string `xml:"type,attr"`
			Model string `xml:"model,attr"`
		} `xml:"seclabel"`
		Graphics []struct {
			Type        string `xml:"type,attr"`
			Listen      string `xml:"listen,attr"`
			Socket      string `xml:"socket,attr"`
			DefaultMode string `xml:"defaultMode,attr"`
			Listens     []struct {
				Type    string `xml:"type,attr"`
				Address string `xml:"address,attr"`
				Network string `xml:"network,attr"`
			} `xml:"listen"`
		} `xml:"devices>graphics"`
	}
	var d DomainSecurity
	if err := decodeSecurityXML(domXML, "domain", &doc); err != nil {
		return d, err
	}
	d.Name = CleanLine(doc.Name)
	for _, s := range doc.SecLabels {
		if s.Type == "none" {
			d.Unconfined = append(d.Unconfined, CleanLine(s.Model))
		}
	}
	for _, g := range doc.Graphics {
		if g.Type != "vnc" && g.Type != "spice" {
			continue
		}
		gr := Graphics{Type: g.Type, SecureOnly: g.DefaultMode == "secure"}
		seen := map[string]bool{}
		add := func(a string) {
			if a = CleanLine(a); a != "" && !seen[a] {
				seen[a] = true
				gr.Listens = append(gr.Listens, a)
			}
		}
		add(g.Listen)
		onSocket := g.Socket != ""
		for _, l := range g.Listens {
			switch l.Type {
			case "address":
				add(l.Address)
				if l.Address == "" {
					gr.Default = true
				}
			case "network":
				add(cmp.Or(l.Address, "network:"+l.Network))
			case "socket", "none":
				onSocket = true
			}
		}
		gr.Default = gr.Default || (len(gr.Listens) == 0 && !onSocket)
		d.Graphics = append(d.Graphics, gr)
	}
	return d, nil
}

// decodeSecurityXML decodes one bounded XML document into v.
func decodeSecurityXML(doc, what string, v any) error {
	if len(doc) > maxSecurityXML {
		return fmt.Errorf("%w: %s XML of %d bytes (at most %d)", ErrUnparseable, what, len(doc), maxSecurityXML)
	}
	if err := xml.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("%w: %s XML: %w", ErrUnparseable, what, err)
	}
	return nil
}

// ConfigFile is one libvirt config file as SecurityConfigCommand saw it.
type ConfigFile struct {
	Path string
	// State is "read", "absent" or "unreadable".
	State string
	// Values maps a key to its value: a number as written, a string
	// without its quotes, a list as its elements joined by ",".
	Values map[string]string
}

// SocketUnit is one TCP socket unit's systemd state ("unknown" when
// systemctl did not say).
type SocketUnit struct{ Unit, Enabled, Active string }

// SecurityConfig is the parsed output of SecurityConfigCommand.
type SecurityConfig struct {
	Files   []ConfigFile
	Sockets []SocketUnit
}

// File returns the file at path; ok is false when the output named none.
func (c SecurityConfig) File(path string) (ConfigFile, bool) {
	for _, f := range c.Files {
		if f.Path == path {
			return f, true
		}
	}
	return ConfigFile{}, false
}

// ParseSecurityConfig reads SecurityConfigCommand's output. Only the
// files and sockets the command names are accepted, each once; lines
// outside a read file's section and settings with a malformed value are
// errors, since the command prints nothing else.
func ParseSecurityConfig(out string) (SecurityConfig, error) {
	var c SecurityConfig
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	maxLines := len(SecurityConfigFiles)*(SecurityMaxLines+1) + len(SecuritySockets)
	if len(lines) > maxLines {
		return c, fmt.Errorf("%w: %d lines of security config (at most %d)", ErrUnparseable, len(lines), maxLines)
	}
	var cur *ConfigFile
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		var err error
		switch {
		case strings.HasPrefix(l, "@@socket "):
			cur, err = nil, c.addSocket(strings.Fields(strings.TrimPrefix(l, "@@socket ")))
		case strings.HasPrefix(l, "@@"):
			cur, err = c.addFile(l)
		case cur == nil:
			err = fmt.Errorf("%w: setting outside a file", ErrUnparseable)
		default:
			err = cur.addSetting(l)
		}
		if err != nil {
			return c, fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	if len(c.Files) != len(SecurityConfigFiles) || len(c.Sockets) != len(SecuritySockets) {
		return c, fmt.Errorf("%w: security config incomplete (%d of %d files, %d of %d sockets)", ErrUnparseable,
			len(c.Files), len(SecurityConfigFiles), len(c.Sockets), len(SecuritySockets))
	}
	return c, nil
}

func (c *SecurityConfig) addFile(l string) (*ConfigFile, error) {
	marker, path, _ := strings.Cut(l, " ")
	state := map[string]string{"@@conf": "read", "@@absent": "absent", "@@unreadable": "unreadable"}[marker]
	if state == "" || !slices.Contains(SecurityConfigFiles, path) {
		return nil, fmt.Errorf("%w: unexpected marker %q", ErrUnparseable, CleanLine(psShort(l)))
	}
	if _, dup := c.File(path); dup {
		return nil, fmt.Errorf("%w: %s listed twice", ErrUnparseable, path)
	}
	c.Files = append(c.Files, ConfigFile{Path: path, State: state, Values: map[string]string{}})
	if state != "read" {
		return nil, nil
	}
	return &c.Files[len(c.Files)-1], nil
}

func (c *SecurityConfig) addSocket(f []string) error {
	if len(f) != 3 || !slices.Contains(SecuritySockets, f[0]) {
		return fmt.Errorf("%w: malformed socket line", ErrUnparseable)
	}
	for _, s := range c.Sockets {
		if s.Unit == f[0] {
			return fmt.Errorf("%w: %s listed twice", ErrUnparseable, f[0])
		}
	}
	c.Sockets = append(c.Sockets, SocketUnit{Unit: f[0], Enabled: CleanLine(f[1]), Active: CleanLine(f[2])})
	return nil
}

// addSetting reads "key = value", libvirt's config syntax: a number, a
// double-quoted string or a list of strings, optionally followed by a
// comment. The last assignment of a key wins, as in libvirt.
func (f *ConfigFile) addSetting(l string) error {
	key, val, ok := strings.Cut(l, "=")
	key = strings.TrimSpace(key)
	if !ok || !slices.Contains(SecurityConfigKeys, key) {
		return fmt.Errorf("%w: unexpected setting %q", ErrUnparseable, CleanLine(psShort(l)))
	}
	v, err := parseConfValue(strings.TrimSpace(val))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnparseable, key, err)
	}
	f.Values[key] = v
	return nil
}

// parseConfValue reads one libvirt config value (see addSetting).
func parseConfValue(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, `"`):
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return "", fmt.Errorf("unterminated string")
		}
		return CleanLine(s[1 : 1+end]), trailing(s[2+end:])
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", fmt.Errorf("unterminated list")
		}
		var items []string
		for _, it := range strings.Split(s[1:end], ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, strings.Trim(it, `"`))
			}
		}
		return CleanLine(strings.Join(items, ",")), trailing(s[end+1:])
	}
	num, _, _ := strings.Cut(s, "#")
	num = strings.TrimSpace(num)
	if _, err := strconv.ParseInt(num, 10, 64); err != nil {
		return "", fmt.Errorf("want a number, a string or a list, got %q", CleanLine(psShort(s)))
	}
	return num, nil
}

// trailing accepts what may follow a value: spaces and a comment.
func trailing(s string) error {
	if s = strings.TrimSpace(s); s != "" && !strings.HasPrefix(s, "#") {
		return fmt.Errorf("text after the value")
	}
	return nil
}
