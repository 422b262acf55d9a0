package hosts

import (
	"strconv"
	"strings"
)

// sshTokens are the values of the ssh_config tokens hvconsole expands in
// IdentityFile and UserKnownHostsFile (and HostName's %h): `ssh -G` prints
// IdentityFile raw, and the parse fallback sees every value raw.
type sshTokens struct {
	alias     string // %n
	hostName  string // %h
	user      string // %r
	localUser string // %u
	home      string // %d and ~
	port      int    // %p
}

// expandSSHTokens replaces %% %d %h %n %p %r %u and a leading ~ or ~/.
// Any other token is refused with a reason rather than guessed.
func expandSSHTokens(s string, t sshTokens) (string, string) {
	s = tildeHome(s, t.home)
	if !strings.Contains(s, "%") {
		return s, ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", "ends in a lone %"
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(t.home)
		case 'h':
			b.WriteString(t.hostName)
		case 'n':
			b.WriteString(t.alias)
		case 'p':
			b.WriteString(strconv.Itoa(t.port))
		case 'r':
			b.WriteString(t.user)
		case 'u':
			b.WriteString(t.localUser)
		default:
			return "", "token %" + string(s[i]) + " is not expanded by hvconsole (supported: %% %d %h %n %p %r %u ~)"
		}
	}
	return b.String(), ""
}

// tildeHome expands a leading "~" or "~/" to home, as ssh does for paths.
func tildeHome(p, home string) string {
	switch {
	case p == "~":
		return home
	case strings.HasPrefix(p, "~/"):
		return home + p[1:]
	}
	return p
}
