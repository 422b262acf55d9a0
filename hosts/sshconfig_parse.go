package hosts

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// Bounds of the parse fallback, as OpenSSH's own (Include depth 16), and
// on what it reads at all: a runaway Include glob must not exhaust memory.
const (
	sshIncludeDepth  = 16
	sshMaxFileBytes  = 1 << 20
	sshMaxTotalBytes = 8 << 20
	sshMaxGlobFiles  = 256
)

// sshEval evaluates ssh_config files for one alias the way OpenSSH does:
// the first value obtained for a keyword wins, Host matches the alias,
// Match evaluates its criteria. Criteria it cannot evaluate without running
// ssh (exec, canonical, tagged, ...) are refused: every keyword such a block
// could set, and that is not yet set, becomes unresolved with the reason.
type sshEval struct {
	q         sshQuery
	localUser string
	final     bool // the second pass, after a "Match final"
	sawFinal  bool
	vals      map[string][]string
	unres     map[string]string
	files     sshFiles
}

// sshBlock is whether the directives being read apply: yes, no, or
// unknown with the reason.
type sshBlock struct {
	active  bool
	unknown string
}

// parseFallback resolves q with the Go parser.
func (r *SSHResolver) parseFallback(q sshQuery) *sshLookup {
	l := &sshLookup{via: "ssh_config parser"}
	files, system := []string{r.file}, ""
	if r.file == "" {
		files = []string{filepath.Join(r.home, ".ssh", "config")}
		system = "/etc/ssh/ssh_config"
	}
	ev := &sshEval{q: q, localUser: r.localUser, files: sshFiles{home: r.home}, vals: map[string][]string{}, unres: map[string]string{}}
	if q.hostName != "" {
		ev.vals[kwHostName] = []string{q.hostName}
	}
	if q.user != "" {
		ev.vals[kwUser] = []string{q.user}
	}
	for pass := 0; pass < 2; pass++ {
		ev.final = pass == 1
		if err := ev.readTop(files[0], r.file != "", filepath.Join(r.home, ".ssh")); err != nil {
			l.err = err
			return l
		}
		if system != "" {
			if err := ev.readTop(system, false, "/etc/ssh"); err != nil {
				l.err = err
				return l
			}
		}
		if !ev.sawFinal {
			break
		}
	}
	l.vals, l.unresolved = ev.vals, ev.unres
	return l
}

// readTop reads one top-level file; a missing one is fine unless it was
// named explicitly (ssh -F fails too).
func (ev *sshEval) readTop(path string, mustExist bool, base string) error {
	err := ev.readFile(path, base, 0, sshBlock{active: true})
	if errors.Is(err, fs.ErrNotExist) && !mustExist {
		return nil
	}
	return err
}

func (ev *sshEval) readFile(path, base string, depth int, blk sshBlock) error {
	lines, err := ev.files.read(path)
	if err != nil {
		return err
	}
	for _, l := range lines {
		switch l.kw {
		case "host":
			blk = sshBlock{active: matchPatternList(strings.ToLower(ev.q.alias), l.args)}
		case "match":
			blk = ev.match(l.args, l.where)
		case "include":
			if err := ev.include(l.args, base, depth, blk, l.where); err != nil {
				return err
			}
		default:
			ev.set(l.kw, l.args, blk)
		}
	}
	return nil
}

// include reads each file an Include names (globs allowed, relative to
// base), in the block state of the Include line; like OpenSSH, a file's
// own Host and Match lines do not outlive it.
func (ev *sshEval) include(args []string, base string, depth int, blk sshBlock, where string) error {
	if !blk.active && blk.unknown == "" {
		return nil
	}
	files, err := ev.files.included(args, base, depth, where)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := ev.readFile(f, base, depth+1, blk); err != nil {
			return err
		}
	}
	return nil
}

// sshFiles reads ssh_config files within the bounds above.
type sshFiles struct {
	home      string
	readBytes int
}

// sshLine is one directive: its lower-case keyword, arguments and place.
type sshLine struct {
	kw    string
	args  []string
	where string
}

// read returns the directives of one file.
func (sf *sshFiles) read(path string) ([]sshLine, error) {
	data, err := ReadFileUpTo(path, sshMaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("ssh_config %s: %w", path, err)
	}
	sf.readBytes += len(data)
	if len(data) > sshMaxFileBytes || sf.readBytes > sshMaxTotalBytes {
		return nil, fmt.Errorf("ssh_config %s: too large", path)
	}
	var out []sshLine
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		if kw, args := splitSSHLine(line); kw != "" {
			out = append(out, sshLine{kw: kw, args: args, where: fmt.Sprintf("%s:%d", path, n)})
		}
	}
	return out, nil
}

// included lists the files an Include names: globs, ~, relative to base.
func (sf *sshFiles) included(args []string, base string, depth int, where string) ([]string, error) {
	if depth+1 > sshIncludeDepth {
		return nil, fmt.Errorf("ssh_config %s: Include nested more than %d deep", where, sshIncludeDepth)
	}
	var out []string
	for _, pat := range args {
		pat = tildeHome(pat, sf.home)
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(base, pat)
		}
		matches, err := filepath.Glob(pat)
		if err != nil {
			return nil, fmt.Errorf("ssh_config %s: Include %q: %w", where, pat, err)
		}
		if len(matches) > sshMaxGlobFiles {
			return nil, fmt.Errorf("ssh_config %s: Include %q names more than %d files", where, pat, sshMaxGlobFiles)
		}
		out = append(out, matches...)
	}
	return out, nil
}

// set records a keyword's value: the first one obtained wins, and a
// keyword once unresolved stays so (an earlier block may have set it).
func (ev *sshEval) set(kw string, args []string, blk sshBlock) {
	if !slices.Contains(sshKeywords, kw) || len(args) == 0 {
		return
	}
	if _, gone := ev.unres[kw]; gone {
		return
	}
	if blk.unknown != "" {
		if len(ev.vals[kw]) == 0 {
			ev.unres[kw] = blk.unknown
		}
		return
	}
	if !blk.active {
		return
	}
	switch {
	case kw == kwIdentityFile:
		if !slices.Contains(ev.vals[kw], args[0]) { // the final pass reads it again
			ev.vals[kw] = append(ev.vals[kw], args[0])
		}
	case len(ev.vals[kw]) > 0:
	case kw == kwKnownHosts:
		ev.vals[kw] = []string{strings.Join(args, " ")}
	default:
		ev.vals[kw] = []string{args[0]}
	}
}
