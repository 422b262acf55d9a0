package hosts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// maxConfigBytes bounds how much of a config file is read: an inventory of
// thousands of hosts is well under a megabyte, and a runaway file must not
// exhaust memory before validation even starts.
const maxConfigBytes = 16 << 20

// Sentinel errors of Select, so callers can tell a typo from other failures
// with errors.Is.
var (
	ErrUnknownHost = errors.New("hosts: unknown host")
	ErrUnknownTag  = errors.New("hosts: no host has tag")
)

// Pos is a position in the config file, both 1-based (the column counts
// bytes, as go-toml does). The zero Pos means "position unknown".
type Pos struct {
	Line, Col int
}

// Known reports whether the position points into the file.
func (p Pos) Known() bool { return p.Line > 0 }

// Problem is one thing wrong with a config file. Validation collects every
// problem instead of stopping at the first, so an operator fixes the file in
// one pass.
type Problem struct {
	// Pos is where in the file the problem is; zero when it has no place in
	// the file (a built-in default, or a syntax error before any position).
	Pos Pos
	// KeyPath names the key, e.g. "hosts[2].jump" (0-based indexes); it is
	// "" for problems of the whole file.
	KeyPath string
	// Reason says what is wrong, in words for an operator.
	Reason string
}

// ConfigError is every problem found in one config file. Load returns it for
// an invalid file, so `hvconsole validate` can print all problems at once.
type ConfigError struct {
	// Path is the file the problems are in.
	Path string
	// Problems are sorted by position; those without one come last.
	Problems []Problem
}

// Error prints one problem per line as FILE:LINE:COL: KEYPATH: REASON, the
// form editors and compilers use, dropping the parts that are unknown.
func (e *ConfigError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Path)
		if p.Pos.Known() {
			fmt.Fprintf(&b, ":%d:%d", p.Pos.Line, p.Pos.Col)
		}
		b.WriteString(": ")
		if p.KeyPath != "" {
			b.WriteString(p.KeyPath)
			b.WriteString(": ")
		}
		b.WriteString(p.Reason)
	}
	return b.String()
}

// LoadOptions swap the operating-system calls Load makes, so tests (and the
// example-config test in particular) can run hermetically. The zero value
// uses the real environment and file system.
type LoadOptions struct {
	// Getenv reads USER, HOME and XDG_STATE_HOME for defaults and `~`.
	// nil means os.Getenv.
	Getenv func(key string) string
	// CheckFile reports why a referenced identity or known_hosts file cannot
	// be read, or nil when it can. nil means open the file for reading.
	CheckFile func(path string) error
	// CheckDir reports why a directory (serve.socket's) can neither be used
	// nor created, or nil. nil means look at the file system.
	CheckDir func(dir string) error
	// CheckWebConfig reports why serve.web_config's file is not a usable
	// Prometheus exporter-toolkit web config (cmd passes serve's check, so
	// this package needs no knowledge of that format); nil checks only
	// that the file can be read.
	CheckWebConfig func(path string) error
	// SSH resolves host names through ssh_config; nil makes a resolver for
	// this load alone. A session keeps one so each alias is asked once.
	SSH *SSHResolver
	// Context bounds ssh_config resolution (each lookup also has its own
	// deadline); nil means no bound beyond those deadlines.
	Context context.Context
}

// Load reads, decodes and validates the config file at path. An invalid file
// gives a *ConfigError listing every problem; an unreadable one gives the
// wrapped I/O error.
func Load(path string) (*Config, error) {
	return LoadWith(path, LoadOptions{})
}

// LoadWith is Load with the operating-system calls replaced by opts.
func LoadWith(path string, opts LoadOptions) (*Config, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.CheckFile == nil {
		opts.CheckFile = checkReadable
	}
	if opts.CheckDir == nil {
		opts.CheckDir = checkDirCreatable
	}
	if opts.CheckWebConfig == nil {
		opts.CheckWebConfig = func(string) error { return nil }
	}
	return parseConfig(path, data, opts)
}

func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hosts: read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("hosts: read config %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, &ConfigError{Path: path, Problems: []Problem{{
			Reason: "file is larger than " + strconv.Itoa(maxConfigBytes>>20) + " MiB"}}}
	}
	return data, nil
}

// parseConfig turns the bytes of a config file into a validated Config.
func parseConfig(path string, data []byte, opts LoadOptions) (*Config, error) {
	ps := &problems{idx: buildIndex(data)}
	raw, ok := decodeRaw(data, ps)
	if !ok {
		return nil, ps.err(path)
	}
	cfg := build(raw, ps, opts)
	if len(ps.list) > 0 {
		return nil, ps.err(path)
	}
	cfg.Path = path
	cfg.Notices = ps.notices
	return cfg, nil
}

// checkReadable opens the file to prove it can be read; a directory is not a
// key or known_hosts file even though it opens.
func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errIsDir
	}
	return nil
}

var errIsDir = errors.New("is a directory")

// describeFileErr words a file error without repeating the path.
func describeFileErr(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ResolvePath picks the config file: the --config flag when given, else
// $HVCONSOLE_CONFIG, else $XDG_CONFIG_HOME/hvconsole/config.toml, else
// ~/.config/hvconsole/config.toml. It does not check that the file exists:
// Load reports that with the path it tried.
func ResolvePath(flag string) string {
	p, _ := ResolvePathFrom(flag, os.Getenv)
	return p
}

// ResolvePathFrom is ResolvePath with the environment read through getenv;
// it also says which rule chose the path ("--config", "$HVCONSOLE_CONFIG",
// "$XDG_CONFIG_HOME" or "the default"), so a missing file can be reported
// with where hvconsole looked.
func ResolvePathFrom(flag string, getenv func(string) string) (string, string) {
	if flag != "" {
		return flag, "--config"
	}
	if p := getenv("HVCONSOLE_CONFIG"); p != "" {
		return p, "$HVCONSOLE_CONFIG"
	}
	source := "the default"
	if filepath.IsAbs(getenv("XDG_CONFIG_HOME")) {
		source = "$XDG_CONFIG_HOME"
	}
	return filepath.Join(xdgDir(getenv, "XDG_CONFIG_HOME", ".config"), "hvconsole", "config.toml"), source
}

// xdgDir applies the XDG base-directory rule: the variable when it holds an
// absolute path, else the fallback under the home directory.
func xdgDir(getenv func(string) string, key, fallback string) string {
	if d := getenv(key); filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(getenv("HOME"), fallback)
}

// Select returns the hosts an operator asked for, in inventory order: every
// host named in names, plus every host carrying any of tags. Empty filters
// select all hosts. A name or tag that matches nothing is an error (wrapping
// ErrUnknownHost or ErrUnknownTag), so a typo never turns into a silent
// "all OK" over zero hosts.
func (c *Config) Select(names, tags []string) ([]Host, error) {
	if len(names) == 0 && len(tags) == 0 {
		return slices.Clone(c.Hosts), nil
	}
	for _, n := range names {
		if !slices.ContainsFunc(c.Hosts, func(h Host) bool { return h.Name == n }) {
			return nil, fmt.Errorf("%w %q%s", ErrUnknownHost, n, c.nearestNames(n))
		}
	}
	for _, t := range tags {
		if !slices.ContainsFunc(c.Hosts, func(h Host) bool { return slices.Contains(h.Tags, t) }) {
			return nil, fmt.Errorf("%w %q%s", ErrUnknownTag, t, didYouMean(t, c.allTags()))
		}
	}
	var out []Host
	for _, h := range c.Hosts {
		if slices.Contains(names, h.Name) || slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(h.Tags, t) }) {
			out = append(out, h)
		}
	}
	return out, nil
}

// maxSuggestions bounds how many near names an unknown-host error lists.
const maxSuggestions = 3

// nearestNames suggests the inventory names closest to a mistyped one:
// those within typo distance, closest first (at most three), or ", no host
// is named like it" when none is near.
func (c *Config) nearestNames(name string) string {
	type scored struct {
		name string
		d    int
	}
	limit := max(2, len(name)/3+1)
	var near []scored
	for _, h := range c.Hosts {
		if d := editDistance(strings.ToLower(name), strings.ToLower(h.Name)); d < limit {
			near = append(near, scored{h.Name, d})
		}
	}
	if len(near) == 0 {
		return ""
	}
	slices.SortStableFunc(near, func(a, b scored) int { return a.d - b.d })
	var out []string
	for _, s := range near[:min(len(near), maxSuggestions)] {
		out = append(out, quote(s.name))
	}
	return ": did you mean " + strings.Join(out, " or ") + "?"
}

func (c *Config) allTags() []string {
	var out []string
	for _, h := range c.Hosts {
		for _, t := range h.Tags {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}
