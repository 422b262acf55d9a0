package remote

import (
	"strconv"
	"strings"
)

// SecurityConfigFiles are the libvirt configuration files the security
// check reads, in the order SecurityConfigCommand prints them.
var SecurityConfigFiles = []string{
	"/etc/libvirt/libvirtd.conf",
	"/etc/libvirt/virtproxyd.conf",
	"/etc/libvirt/qemu.conf",
}

// SecurityConfigKeys are the only settings SecurityConfigCommand prints:
// the rest of a file (secrets such as TLS key paths included) never leaves
// the host.
var SecurityConfigKeys = []string{
	"listen_tcp", "auth_tcp", "tls_no_verify_certificate",
	"security_driver", "vnc_listen", "spice_listen", "vnc_tls", "spice_tls",
}

// SecuritySockets are the systemd socket units that open libvirt's TCP
// listener whatever the config file's listen_tcp says (socket activation).
var SecuritySockets = []string{"libvirtd-tcp.socket", "virtproxyd-tcp.socket"}

// Bounds of SecurityConfigCommand's output: lines per file and characters
// per line. With three files and two sockets the whole answer stays under
// 3 * 64 * 257 bytes plus the markers, far below the transport's cap.
const (
	SecurityMaxLines = 64
	SecurityMaxLine  = 256
)

// SecurityConfigCommand prints the security-relevant settings of the
// libvirt config files and the state of the TCP socket units, as
//
//	@@conf /etc/libvirt/libvirtd.conf      (then its matching lines)
//	@@absent /etc/libvirt/virtproxyd.conf
//	@@unreadable /etc/libvirt/qemu.conf
//	@@socket libvirtd-tcp.socket ENABLED ACTIVE
//
// ENABLED and ACTIVE are systemctl's is-enabled / is-active words, or
// "unknown" when systemctl gave none (no systemd, unit not installed). It
// is one constant: no value from the inventory or the host goes into it;
// each systemctl runs under the remote "timeout", and the caller's
// deadline bounds the whole.
var SecurityConfigCommand = buildSecurityConfigCommand()

func buildSecurityConfigCommand() string {
	var b strings.Builder
	b.WriteString("for f in " + strings.Join(SecurityConfigFiles, " ") + "; do ")
	b.WriteString(`if [ ! -e "$f" ]; then echo "@@absent $f"; elif [ ! -r "$f" ]; then echo "@@unreadable $f"; else echo "@@conf $f"; `)
	b.WriteString(`grep -E '^[[:space:]]*(` + strings.Join(SecurityConfigKeys, "|") + `)[[:space:]]*=' -- "$f" | head -n ` +
		strconv.Itoa(SecurityMaxLines) + ` | cut -c1-` + strconv.Itoa(SecurityMaxLine) + `; fi; done; `)
	b.WriteString("for u in " + strings.Join(SecuritySockets, " ") + "; do ")
	b.WriteString(`e=$(timeout 5 systemctl is-enabled -- "$u" 2>/dev/null | head -n 1 | cut -c1-32); `)
	b.WriteString(`a=$(timeout 5 systemctl is-active -- "$u" 2>/dev/null | head -n 1 | cut -c1-32); `)
	b.WriteString(`echo "@@socket $u ${e:-unknown} ${a:-unknown}"; done; true`)
	return b.String()
}
