package hosts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseSSHG feeds arbitrary `ssh -G` output: the parser keeps only the
// keywords hvconsole takes, never panics, and never keeps a default.
func FuzzParseSSHG(f *testing.F) {
	f.Add([]byte("host kvm-01\nuser ops\nhostname 10.0.0.1\nport 2222\nidentityfile ~/.ssh/id_%r\nidentityfile ~/.ssh/b\nproxyjump a,b@c:2\n"))
	f.Add([]byte("user root\nport 22\nconnecttimeout none\nstricthostkeychecking ask\nuserknownhostsfile /r/.ssh/known_hosts /r/.ssh/known_hosts2\n"))
	f.Add([]byte("USER x\r\nport\nport  \n\x00\xff hostname\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		vals := parseSSHG(out, "kvm-01", "root")
		for kw, v := range vals {
			if !strings.Contains(strings.Join(sshKeywords, " "), kw) || len(v) == 0 {
				t.Fatalf("kept %q = %q", kw, v)
			}
			if kw != kwIdentityFile && len(v) != 1 {
				t.Fatalf("%s has %d values", kw, len(v))
			}
			if isSSHDefault(kw, v, "kvm-01", "root") {
				t.Fatalf("kept the default %s = %q", kw, v)
			}
		}
	})
}

// FuzzSSHConfigParser feeds arbitrary ssh_config text (with an Include of
// itself, bounded by the depth limit) to the parse fallback and to the
// alias listing of import ssh-config and init.
func FuzzSSHConfigParser(f *testing.F) {
	f.Add("Host kvm-*\n  User ops\nMatch host 10.* !user root\n  Port 2\nMatch exec \"x\"\n  HostName y\nInclude self\n", "kvm-01")
	f.Add("Match final all\nConnectTimeout 9\nHost=a b !c\nIdentityFile \"~/x y\" # c\nUserKnownHostsFile a b\n", "a")
	f.Add("Match host=\nMatch !all\nMatch user\nHost\n\"\n=\n", "x")
	f.Fuzz(func(t *testing.T, doc, alias string) {
		if !nameRE.MatchString(alias) {
			return
		}
		dir := t.TempDir()
		file := filepath.Join(dir, "self")
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		if a, err := ReadSSHAliases(file, dir); err == nil {
			for _, alias := range a.Aliases {
				if badName(alias) != "" {
					t.Fatalf("listed alias %q is not a valid name", alias)
				}
			}
		}
		r := NewSSHResolver(SSHResolverOptions{File: file, Home: dir}, nil)
		l := r.parseFallback(sshQuery{mode: SSHConfigParse, alias: alias})
		if l.err != nil {
			return
		}
		for kw, v := range l.vals {
			if _, gone := l.unresolved[kw]; gone {
				t.Fatalf("%s both set (%q) and unresolved", kw, v)
			}
		}
	})
}

// FuzzSSHValues feeds the small value parsers: tokens, ProxyJump hops and
// ssh's time format.
func FuzzSSHValues(f *testing.F) {
	f.Add("%d/.ssh/id_%r@%h:%p%%")
	f.Add("alice@[::1]:22")
	f.Add("ssh://u@h:99999")
	f.Add("1m30s")
	f.Add("%")
	f.Fuzz(func(t *testing.T, s string) {
		tok := sshTokens{alias: "a", hostName: "h", user: "u", localUser: "l", home: "/home/l", port: 22}
		if out, why := expandSSHTokens(s, tok); why == "" && utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("expanding %q made invalid UTF-8", s)
		}
		if user, host, port, why := splitJumpSpec(s); why == "" {
			if badAddress(host) != "" || (user != "" && badUser(user) != "") || port < 0 || port > 65535 {
				t.Fatalf("accepted hop %q as %q %q %d", s, user, host, port)
			}
		}
		if d, ok := sshSeconds(s); ok && (d <= 0 || d > 24*time.Hour) {
			t.Fatalf("time %q = %v", s, d)
		}
	})
}
