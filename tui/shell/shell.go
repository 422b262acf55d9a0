// Package shell opens an interactive OpenSSH session to an inventory host
// with exactly the settings hvconsole itself uses: user, port, identity
// files, the jump chain and the same known_hosts files, with host keys
// checked strictly (StrictHostKeyChecking=yes, never accept-new) and the
// user's own ssh_config left out. Every value goes to ssh as its own argv
// element: no shell ever parses a host name.
package shell

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hvconsole/hvconsole/hosts"
)

// ErrNoSSH is returned when no ssh client is on PATH.
var ErrNoSSH = errors.New("ssh not found on PATH: install OpenSSH's client to open a shell")

// ErrUnsafeValue refuses a setting that cannot be written into an
// ssh_config line unambiguously (a quote or a line break in it).
var ErrUnsafeValue = errors.New("a connection setting holds a quote or a line break")

// Args is ssh's argv (without the program name) for a session to h. The
// jump chain goes in -J with each hop's user and port; the hops' own
// identity and known_hosts files are in the file -F names (ssh passes -F,
// not -o, on to the ssh it runs for each hop), or "none" without hops.
func Args(h hosts.Host, configFile string) []string {
	if configFile == "" {
		configFile = "none"
	}
	args := []string{"-F", configFile}
	for _, o := range options(h.KnownHosts, h.IdentityFiles, h.UseAgent) {
		args = append(args, "-o", o)
	}
	if h.ConnectTimeout > 0 {
		args = append(args, "-o", "ConnectTimeout="+strconv.Itoa(max(int(h.ConnectTimeout.Seconds()), 1)))
	}
	for _, f := range h.IdentityFiles {
		args = append(args, "-i", f)
	}
	if len(h.Jump) > 0 {
		hops := make([]string, len(h.Jump))
		for i, j := range h.Jump {
			hops[i] = endpoint(j.User, j.Address, j.Port)
		}
		args = append(args, "-J", strings.Join(hops, ","))
	}
	if h.User != "" {
		args = append(args, "-l", h.User)
	}
	if h.Port > 0 {
		args = append(args, "-p", strconv.Itoa(h.Port))
	}
	return append(args, "--", h.Address)
}

// options are the ssh_config settings of one endpoint, as "Key=value".
func options(knownHosts, identities []string, agent bool) []string {
	out := []string{
		"StrictHostKeyChecking=yes",
		"UpdateHostKeys=no", // our known_hosts files are never written
		"UserKnownHostsFile=" + fileList(knownHosts),
		"GlobalKnownHostsFile=none", // only the files hvconsole reads
	}
	if !agent {
		out = append(out, "IdentitiesOnly=yes", "IdentityAgent=none")
	}
	return out
}

// fileList is a known_hosts list in ssh_config's syntax: quoted,
// space-separated; "none" for no file at all.
func fileList(files []string) string {
	if len(files) == 0 {
		return "none"
	}
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = `"` + f + `"`
	}
	return strings.Join(q, " ")
}

// endpoint is "user@host:port" for -J; an IPv6 address gets brackets.
func endpoint(user, addr string, port int) string {
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	s := addr
	if user != "" {
		s = user + "@" + s
	}
	if port > 0 {
		s += ":" + strconv.Itoa(port)
	}
	return s
}

// Config is the ssh_config text for h's hops: one Host block per hop with
// its identity and known_hosts files, then strict checking for every
// host. It is what -F names when h has a jump chain.
func Config(h hosts.Host) (string, error) {
	var b strings.Builder
	b.WriteString("# written by hvconsole for one shell session; removed when it ends\n")
	for _, j := range h.Jump {
		if err := safe(append([]string{j.Address, j.User}, append(j.KnownHosts, j.IdentityFiles...)...)); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "Host \"%s\"\n", j.Address)
		for _, o := range options(j.KnownHosts, j.IdentityFiles, j.UseAgent) {
			k, v, _ := strings.Cut(o, "=")
			fmt.Fprintf(&b, "  %s %s\n", k, v)
		}
		for _, f := range j.IdentityFiles {
			fmt.Fprintf(&b, "  IdentityFile \"%s\"\n", f)
		}
	}
	b.WriteString("Host *\n  StrictHostKeyChecking yes\n  UpdateHostKeys no\n")
	return b.String(), nil
}

func safe(values []string) error {
	for _, v := range values {
		if strings.ContainsAny(v, "\"\n\r") {
			return fmt.Errorf("%w: %q", ErrUnsafeValue, v)
		}
	}
	return nil
}

// Command is the session as a tea.ExecCommand: Run finds ssh, writes the
// hops' config file (0600, in a private temporary folder), runs ssh on the
// terminal and removes the file when it exits.
type Command struct {
	host           hosts.Host
	stdin          io.Reader
	stdout, stderr io.Writer
	// LookPath finds the ssh binary (exec.LookPath; tests swap it).
	LookPath func(string) (string, error)
}

// New returns the session to h.
func New(h hosts.Host) *Command { return &Command{host: h, LookPath: exec.LookPath} }

// SetStdin sets the session's input (the terminal).
func (c *Command) SetStdin(r io.Reader) { c.stdin = r }

// SetStdout sets the session's output.
func (c *Command) SetStdout(w io.Writer) { c.stdout = w }

// SetStderr sets the session's error output.
func (c *Command) SetStderr(w io.Writer) { c.stderr = w }

// Run runs the session until ssh exits.
func (c *Command) Run() error {
	if err := safe(append([]string{c.host.Address, c.host.User}, append(c.host.KnownHosts, c.host.IdentityFiles...)...)); err != nil {
		return err
	}
	bin, err := c.LookPath("ssh")
	if err != nil {
		return ErrNoSSH
	}
	cfgFile := ""
	if len(c.host.Jump) > 0 {
		dir, err := os.MkdirTemp("", "hvconsole-ssh-")
		if err != nil {
			return fmt.Errorf("shell: %w", err)
		}
		defer os.RemoveAll(dir)
		text, err := Config(c.host)
		if err != nil {
			return err
		}
		cfgFile = filepath.Join(dir, "ssh_config")
		if err := os.WriteFile(cfgFile, []byte(text), 0o600); err != nil {
			return fmt.Errorf("shell: %w", err)
		}
	}
	cmd := exec.Command(bin, Args(c.host, cfgFile)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.stdin, c.stdout, c.stderr
	return cmd.Run()
}
