package hosts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Bounds of ssh_config resolution: one `ssh -G` takes ~10 ms, so these
// only matter when a Match exec command hangs or a fleet is large.
const (
	sshResolveTimeout = 5 * time.Second
	sshResolveLimit   = 8
)

// SSHResolver answers what ssh_config says about host aliases, once per
// alias: it caches every answer for its lifetime (a session), runs at most
// a few lookups at once and each under a deadline. Its zero value is not
// usable; make one with NewSSHResolver.
type SSHResolver struct {
	file      string
	sshPath   string
	localUser string
	home      string

	mu    sync.Mutex
	cache map[sshQuery]*sshLookup
}

// SSHResolverOptions configure an SSHResolver. The zero value reads the
// user's own ssh_config as `ssh` would.
type SSHResolverOptions struct {
	// File is the ssh_config file to read instead of ~/.ssh/config and
	// /etc/ssh/ssh_config (`ssh -F FILE`); "" reads those.
	File string
	// SSHPath is the ssh binary; "" looks up "ssh" on $PATH. When it cannot
	// be found, the parse fallback is used and says so.
	SSHPath string
	// Home is the home directory for ~ and %d; "" means $HOME.
	Home string
}

// NewSSHResolver makes a resolver; getenv reads HOME and USER (nil means
// the process environment).
func NewSSHResolver(opts SSHResolverOptions, getenv func(string) string) *SSHResolver {
	if getenv == nil {
		getenv = os.Getenv
	}
	r := &SSHResolver{file: opts.File, sshPath: opts.SSHPath, home: opts.Home, cache: map[sshQuery]*sshLookup{}}
	if r.home == "" {
		r.home = getenv("HOME")
	}
	// ssh takes the local user from the password database, not $USER.
	if u, err := user.Current(); err == nil {
		r.localUser = u.Username
	} else {
		r.localUser = getenv("USER")
	}
	if r.sshPath == "" {
		r.sshPath, _ = exec.LookPath("ssh")
	}
	return r
}

// sshQuery is one alias to resolve, with what the inventory already fixes
// for it: ssh is told these (-o HostName=, -l, -p) so that Match host and
// the tokens see the values the connection will use.
type sshQuery struct {
	mode     string
	alias    string
	hostName string
	user     string
	port     int
}

// lookupAll resolves every query, a few at a time; the answers are in the
// order of qs.
func (r *SSHResolver) lookupAll(ctx context.Context, qs []sshQuery) []*sshLookup {
	out := make([]*sshLookup, len(qs))
	var g errgroup.Group
	g.SetLimit(sshResolveLimit)
	for i, q := range qs {
		g.Go(func() error {
			out[i] = r.lookup(ctx, q)
			return nil
		})
	}
	_ = g.Wait()
	return out
}

// lookup resolves one alias, from the cache when it was asked before.
func (r *SSHResolver) lookup(ctx context.Context, q sshQuery) *sshLookup {
	r.mu.Lock()
	l, ok := r.cache[q]
	r.mu.Unlock()
	if ok {
		return l
	}
	if q.mode == SSHConfigSSH && r.sshPath != "" {
		l = r.runSSH(ctx, q)
	} else {
		l = r.parseFallback(q)
		if q.mode == SSHConfigSSH {
			l.via += " (no ssh binary found)"
		}
	}
	r.mu.Lock()
	r.cache[q] = l
	r.mu.Unlock()
	return l
}

// errSSHG marks a failed `ssh -G` run.
var errSSHG = errors.New("ssh -G failed")

// runSSH asks OpenSSH. The alias is a validated inventory name (it starts
// with a letter or digit, so ssh never reads it as an option) and no shell
// is involved.
func (r *SSHResolver) runSSH(ctx context.Context, q sshQuery) *sshLookup {
	ctx, cancel := context.WithTimeout(ctx, sshResolveTimeout)
	defer cancel()
	args := []string{"-G"}
	if r.file != "" {
		args = append(args, "-F", r.file)
	}
	if q.hostName != "" {
		args = append(args, "-o", "HostName="+q.hostName)
	}
	if q.user != "" {
		args = append(args, "-l", q.user)
	}
	if q.port != 0 {
		args = append(args, "-p", strconv.Itoa(q.port))
	}
	args = append(args, "--", q.alias)
	cmd := exec.CommandContext(ctx, r.sshPath, args...)
	// WaitDelay bounds a grandchild that keeps ssh's pipes open; it also
	// runs out when the copy of ssh's output is not scheduled in time,
	// which a loaded 2-core machine made happen at 1 s (CI runs under -race).
	cmd.WaitDelay = sshResolveTimeout
	stdout := &capped{max: maxSSHOutput}
	stderr := &capped{max: 4096}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	l := &sshLookup{via: "ssh -G " + q.alias}
	if err := cmd.Run(); err != nil {
		why := firstLine(stderr.buf.String())
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			why = "no answer within " + sshResolveTimeout.String()
		case ctx.Err() != nil:
			why = "cancelled (hvconsole is stopping)"
		}
		if why == "" {
			why = err.Error()
		}
		l.err = fmt.Errorf("%w: %s", errSSHG, why)
		return l
	}
	l.vals = parseSSHG(stdout.buf.Bytes(), q.alias, r.localUser)
	return l
}

// firstLine is the first line of ssh's complaint that is not its note
// about the terminal.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "Pseudo-terminal") {
			return line
		}
	}
	return ""
}

// capped is a writer that keeps the first max bytes and drops the rest, so
// a child process never decides how much we hold.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
