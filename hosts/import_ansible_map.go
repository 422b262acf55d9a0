package hosts

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The Ansible variables `import ansible` maps, each under all its names
// (the ansible_ssh_* forms are the old spellings).
var (
	ansibleAddress = []string{"ansible_host", "ansible_ssh_host"}
	ansiblePort    = []string{"ansible_port", "ansible_ssh_port"}
	ansibleUser    = []string{"ansible_user", "ansible_ssh_user"}
	ansibleKey     = []string{"ansible_ssh_private_key_file", "ansible_private_key_file"}
)

// ansibleSecretRE names variables that hold secrets: their values are
// never written, not even in a comment.
var ansibleSecretRE = regexp.MustCompile(`(?i)pass|secret|token|vault|credential`)

// ansibleMapper maps one host's merged vars, consuming each key it uses
// and commenting on every other.
type ansibleMapper struct {
	h    ImportedHost
	vars map[string]any
	used map[string]bool
}

func mapAnsibleHost(name string, groups []string, vars map[string]any, groupTags bool) ImportedHost {
	m := ansibleMapper{vars: vars, used: map[string]bool{}}
	n, ok := importName(name)
	m.h.Name = n
	if !ok {
		m.h.Name = "host"
	}
	if n != name {
		m.note("ansible host %s renamed: hvconsole names use letters, digits, '.', '_' and '-'", strconv.Quote(name))
		if _, has := m.first(ansibleAddress); !has && badAddress(name) == "" {
			m.h.Address = name
		}
	}
	m.groups(groups, groupTags)
	m.address()
	m.port()
	m.user()
	m.keyFile()
	m.kind()
	m.become()
	m.rest()
	return m.h
}

func (m *ansibleMapper) note(format string, args ...any) {
	m.h.Comments = append(m.h.Comments, fmt.Sprintf(format, args...))
}

// first returns the first of names that is set, marking all of them used.
func (m *ansibleMapper) first(names []string) (string, bool) {
	for _, n := range names {
		if v, ok := m.vars[n]; ok {
			for _, u := range names {
				m.used[u] = true
			}
			return n, v != nil
		}
	}
	return "", false
}

// str returns a var as text; a Jinja template or a non-scalar is refused
// with a comment.
func (m *ansibleMapper) str(key string) (string, bool) {
	var s string
	switch v := m.vars[key].(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case bool:
		s = strconv.FormatBool(v)
	default:
		m.note("not imported: %s: not a plain value", key)
		return "", false
	}
	if strings.Contains(s, "{{") || strings.Contains(s, "{%") {
		m.note("not imported: %s = %s: a Jinja template (hvconsole does not evaluate them)", key, strconv.Quote(s))
		return "", false
	}
	return s, true
}

func (m *ansibleMapper) groups(groups []string, asTags bool) {
	var named []string
	for _, g := range groups {
		if g != "all" && g != "ungrouped" {
			named = append(named, g)
		}
	}
	if len(named) == 0 {
		return
	}
	slices.Sort(named)
	if !asTags {
		m.note("ansible groups: %s (--group-tag makes them tags)", strings.Join(named, ", "))
		return
	}
	for _, g := range named {
		if t, ok := importName(g); ok && !slices.Contains(m.h.Tags, t) {
			m.h.Tags = append(m.h.Tags, t)
		} else if !ok {
			m.note("ansible group %s is not a valid tag", strconv.Quote(g))
		}
	}
}

// value returns the first of names that is set, as plain text.
func (m *ansibleMapper) value(names []string) (string, string, bool) {
	key, ok := m.first(names)
	if !ok {
		return "", "", false
	}
	v, ok := m.str(key)
	return key, v, ok
}

func (m *ansibleMapper) address() {
	if key, v, ok := m.value(ansibleAddress); ok {
		if why := badAddress(v); why != "" {
			m.note("not imported: %s: %s", key, why)
		} else {
			m.h.Address = v
		}
	}
}

func (m *ansibleMapper) port() {
	if key, v, ok := m.value(ansiblePort); ok {
		n, err := strconv.Atoi(v)
		if err != nil || badPort(n) != "" {
			m.note("not imported: %s = %s: not a port number", key, strconv.Quote(v))
		} else if n != 22 {
			m.h.Port = n
		}
	}
}

func (m *ansibleMapper) user() {
	if key, v, ok := m.value(ansibleUser); ok {
		if why := badUser(v); why != "" {
			m.note("not imported: %s: %s", key, why)
		} else {
			m.h.User = v
		}
	}
}

func (m *ansibleMapper) keyFile() {
	key, v, ok := m.value(ansibleKey)
	if !ok {
		return
	}
	switch {
	case noControl("path", v) != "":
		m.note("not imported: %s: %s", key, noControl("path", v))
	case !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "~/"):
		m.note("not imported: %s = %s: a relative path (write it absolute or from ~/)", key, strconv.Quote(v))
	default:
		m.h.IdentityFiles = []string{v}
	}
}

// kind marks Windows hosts (WinRM/PSRP, or a PowerShell or cmd shell over
// SSH) as Hyper-V hosts, which hvconsole reaches over OpenSSH.
func (m *ansibleMapper) kind() {
	_, conn, _ := m.value([]string{"ansible_connection"})
	_, shell, _ := m.value([]string{"ansible_shell_type"})
	windows := conn == "winrm" || conn == "psrp" || conn == "ssh" && (shell == "powershell" || shell == "cmd") || shell == "powershell"
	if windows {
		m.h.Hypervisor = KindHyperV
		if conn == "winrm" || conn == "psrp" {
			m.note("ansible_connection = %s: hvconsole reaches Windows hosts over OpenSSH (see README, Hyper-V hosts)", strconv.Quote(conn))
		}
		return
	}
	if conn != "" && conn != "ssh" && conn != "paramiko" && conn != "smart" {
		m.note("ansible_connection = %s: hvconsole connects over SSH only", strconv.Quote(conn))
	}
}

// become maps ansible_become (with sudo, the default method) to sudo.
func (m *ansibleMapper) become() {
	_, v, _ := m.value([]string{"ansible_become"})
	if v != "true" && v != "True" && v != "yes" {
		return
	}
	method := "sudo"
	if _, bm, ok := m.value([]string{"ansible_become_method"}); ok {
		method = bm
	}
	if method == "sudo" && m.h.Hypervisor == KindHyperV {
		m.note("ansible_become: not imported for a Windows host (hvconsole uses no sudo there)")
		return
	}
	if method == "sudo" {
		m.h.Sudo = true
		return
	}
	m.note("ansible_become_method = %s: hvconsole becomes root with sudo -n only", strconv.Quote(method))
}

// rest comments every variable not mapped; secrets by name only.
func (m *ansibleMapper) rest() {
	for _, k := range sortedKeys(m.vars) {
		if m.used[k] {
			continue
		}
		v := m.vars[k]
		if ansibleSecretRE.MatchString(k) || isVaulted(v) {
			m.note("not imported: %s (a secret: secrets never go in hvconsole's config; use ssh-agent or key files)", k)
			continue
		}
		js, _ := json.Marshal(v)
		text := string(js)
		if len(text) > 120 {
			text = text[:117] + "..."
		}
		m.note("not imported: %s = %s", k, text)
	}
}

// isVaulted reports an Ansible Vault value as ansible-inventory prints it.
func isVaulted(v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, vault := obj["__ansible_vault"]
	return vault
}
