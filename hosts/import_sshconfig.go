package hosts

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// SSHAliases are the concrete Host aliases of an ssh_config, in file
// order, and what was skipped with the reason (patterns, Match blocks,
// names hvconsole cannot use).
type SSHAliases struct {
	Aliases []string
	Skipped []string
}

// ReadSSHAliases lists the Host aliases of file ("" means ~/.ssh/config
// under home), following Include as ssh does (relative to ~/.ssh, globs,
// at most 16 deep). A missing default file gives no aliases, not an error.
func ReadSSHAliases(file, home string) (SSHAliases, error) {
	w := aliasWalker{files: sshFiles{home: home}, seen: map[string]bool{}}
	mustExist := file != ""
	if file == "" {
		file = filepath.Join(home, ".ssh", "config")
	}
	if err := w.read(file, 0); err != nil {
		if !mustExist && errors.Is(err, fs.ErrNotExist) {
			return SSHAliases{}, nil
		}
		return SSHAliases{}, err
	}
	return w.out, nil
}

type aliasWalker struct {
	files sshFiles
	out   SSHAliases
	seen  map[string]bool
}

func (w *aliasWalker) read(path string, depth int) error {
	lines, err := w.files.read(path)
	if err != nil {
		return err
	}
	for _, l := range lines {
		switch l.kw {
		case "host":
			for _, a := range l.args {
				w.add(a)
			}
		case "match":
			w.out.Skipped = append(w.out.Skipped, fmt.Sprintf("Match %s (%s): a Match block names no host", strings.Join(l.args, " "), l.where))
		case "include":
			files, err := w.files.included(l.args, filepath.Join(w.files.home, ".ssh"), depth, l.where)
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := w.read(f, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (w *aliasWalker) add(a string) {
	if w.seen[a] {
		return
	}
	w.seen[a] = true
	switch {
	case strings.ContainsAny(a, "*?!"):
		w.out.Skipped = append(w.out.Skipped, a+": a pattern, not a host")
	case badName(a) != "":
		w.out.Skipped = append(w.out.Skipped, a+": "+badName(a))
	default:
		w.out.Aliases = append(w.out.Aliases, a)
	}
}

// ImportSSHAliases makes an inventory entry of each alias matching match
// (an ssh pattern list, comma-separated; "" matches all): the name alone,
// since ssh_config supplies the rest when the inventory is loaded.
func ImportSSHAliases(a SSHAliases, match string) []ImportedHost {
	var out []ImportedHost
	for _, alias := range a.Aliases {
		if match != "" && !matchPatternList(strings.ToLower(alias), strings.Split(match, ",")) {
			continue
		}
		out = append(out, ImportedHost{Name: alias})
	}
	return slices.Clip(out)
}
