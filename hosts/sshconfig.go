package hosts

import (
	"slices"
	"strings"
)

// How a config's host entries are completed from the user's ssh_config
// (the top-level key ssh_config).
const (
	// SSHConfigSSH asks OpenSSH itself (`ssh -G ALIAS`): Include, Match and
	// tokens are evaluated exactly as `ssh ALIAS` would (Match exec runs its
	// command). The default.
	SSHConfigSSH = "ssh"
	// SSHConfigParse reads the files with hvconsole's own parser, which
	// never runs a command and refuses what it cannot evaluate.
	SSHConfigParse = "parse"
	// SSHConfigOff ignores ssh_config: every host needs its address.
	SSHConfigOff = "off"
)

// The ssh_config keywords hvconsole takes, lower case as `ssh -G` prints
// them. Everything else ssh_config says is ignored.
const (
	kwHostName       = "hostname"
	kwUser           = "user"
	kwPort           = "port"
	kwIdentityFile   = "identityfile"
	kwIdentitiesOnly = "identitiesonly"
	kwProxyJump      = "proxyjump"
	kwKnownHosts     = "userknownhostsfile"
	kwStrict         = "stricthostkeychecking"
	kwConnectTimeout = "connecttimeout"
	kwServerAlive    = "serveraliveinterval"
	kwTCPKeepAlive   = "tcpkeepalive"
)

// sshKeywords are the keywords above in the order explain prints them.
var sshKeywords = []string{kwHostName, kwUser, kwPort, kwIdentityFile, kwIdentitiesOnly,
	kwProxyJump, kwKnownHosts, kwStrict, kwConnectTimeout, kwServerAlive, kwTCPKeepAlive}

// sshKeywordNames spells each keyword as ssh_config(5) does, for messages.
var sshKeywordNames = map[string]string{
	kwHostName: "HostName", kwUser: "User", kwPort: "Port", kwIdentityFile: "IdentityFile",
	kwIdentitiesOnly: "IdentitiesOnly", kwProxyJump: "ProxyJump", kwKnownHosts: "UserKnownHostsFile",
	kwStrict: "StrictHostKeyChecking", kwConnectTimeout: "ConnectTimeout", kwServerAlive: "ServerAliveInterval",
	kwTCPKeepAlive: "TCPKeepAlive",
}

// sshLookup is what ssh_config says about one alias: only the keywords
// hvconsole takes, and only those the config set (a value equal to
// OpenSSH's own default counts as unset, so hvconsole's default applies).
type sshLookup struct {
	// vals maps a keyword to its values (IdentityFile may repeat; the
	// others have one value, UserKnownHostsFile a space-separated list).
	vals map[string][]string
	// unresolved maps a keyword to why its value could not be known (the
	// parse fallback meeting a Match it cannot evaluate).
	unresolved map[string]string
	// via says how the lookup was made, for explain.
	via string
	// err is why the lookup failed as a whole.
	err error
}

// first returns the first value of kw and whether it was set.
func (l *sshLookup) first(kw string) (string, bool) {
	v := l.vals[kw]
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// maxSSHOutput bounds what is read of `ssh -G` (about 3 KiB in practice).
const maxSSHOutput = 256 << 10

// parseSSHG reads the output of `ssh -G`: one "keyword value" per line.
// It keeps the keywords hvconsole takes and drops those whose value is
// OpenSSH's built-in default; alias is the name ssh was asked about and
// localUser the user ssh runs as, which decide two of those defaults.
func parseSSHG(out []byte, alias, localUser string) map[string][]string {
	vals := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		kw, val, ok := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		kw = strings.ToLower(kw)
		if !ok || val == "" || !slices.Contains(sshKeywords, kw) {
			continue
		}
		if kw != kwIdentityFile && len(vals[kw]) > 0 {
			continue // ssh prints each once; a repeat is not ssh's
		}
		vals[kw] = append(vals[kw], val)
	}
	for kw, v := range vals {
		if isSSHDefault(kw, v, alias, localUser) {
			delete(vals, kw)
		}
	}
	return vals
}

// defaultIdentityFiles are the files ssh lists when no IdentityFile is set.
var defaultIdentityFiles = []string{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk",
	"~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa"}

// isSSHDefault reports whether v is what OpenSSH 9 prints when the config
// does not set kw. ProxyJump is not printed when unset.
func isSSHDefault(kw string, v []string, alias, localUser string) bool {
	one := v[0]
	switch kw {
	case kwHostName:
		return strings.EqualFold(one, alias)
	case kwUser:
		return one == localUser
	case kwPort:
		return one == "22"
	case kwIdentityFile:
		return slices.Equal(v, defaultIdentityFiles)
	case kwIdentitiesOnly:
		return one == "no"
	case kwProxyJump:
		return one == "none"
	case kwKnownHosts:
		f := strings.Fields(one)
		return len(f) == 2 && strings.HasSuffix(f[0], "/.ssh/known_hosts") && strings.HasSuffix(f[1], "/.ssh/known_hosts2")
	case kwStrict:
		return one == "ask"
	case kwConnectTimeout:
		return one == "none"
	case kwServerAlive:
		return one == "0"
	case kwTCPKeepAlive:
		return one == "yes"
	}
	return false
}

func badSSHConfigMode(s string) string {
	switch s {
	case SSHConfigSSH, SSHConfigParse, SSHConfigOff:
		return ""
	}
	return "unknown ssh_config mode " + quote(s) + `: want "ssh", "parse" or "off"` +
		didYouMean(s, []string{SSHConfigSSH, SSHConfigParse, SSHConfigOff})
}
