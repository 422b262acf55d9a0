package remote

import (
	"fmt"
	"strconv"
	"strings"
)

// DrillFacts is what one drill script (DrillCommand) printed.
type DrillFacts struct {
	Size, Free int64 // L1: the backup's size, restore_dir's free bytes
	Copied     int64 // the last progress figure
	// Phases maps a phase ("copy", "verify", "end") to its start, in
	// nanoseconds since the epoch on the host's clock.
	Phases    map[string]int64
	SHA256    string // the copy's (L1) or the backup's (L0) digest
	Sidecar   string // the sidecar's first word, hex only
	NoSidecar bool
	// Check and Compare are qemu-img's exit statuses (-1: not run).
	Check, Compare int
	Backing        string // a backing file named in the image header
	Fail           string // "space", "copy", ... when the script stopped
	Done           bool
}

// maxDrillLines bounds the lines of a drill's output: progress comes once a
// chunk, so even a multi-TiB image at 64 MiB a chunk stays far below.
const maxDrillLines = 1 << 20

// ParseDrillOutput reads a drill script's output. Lines that are not the
// script's "@@" lines are errors: the script prints nothing else.
func ParseDrillOutput(out string) (DrillFacts, error) {
	f := DrillFacts{Phases: map[string]int64{}, Check: -1, Compare: -1}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > maxDrillLines {
		return f, fmt.Errorf("%w: %d lines of drill output", ErrUnparseable, len(lines))
	}
	for i, l := range lines {
		if l == "" && len(lines) == 1 {
			break
		}
		if err := f.line(strings.TrimRight(l, "\r")); err != nil {
			return f, fmt.Errorf("%w: drill output line %d: %w", ErrUnparseable, i+1, err)
		}
	}
	return f, nil
}

func (f *DrillFacts) line(l string) error {
	word, rest, _ := strings.Cut(strings.TrimPrefix(l, "@@"), " ")
	if !strings.HasPrefix(l, "@@") {
		return fmt.Errorf("stray text %q", CleanLine(psShort(l)))
	}
	var err error
	switch word {
	case "size":
		f.Size, err = drillInt(rest)
	case "free":
		f.Free, err = drillInt(rest)
	case "bytes":
		f.Copied, err = drillInt(rest)
	case "phase":
	case "t":
		name, ns, _ := strings.Cut(rest, " ")
		if name != "copy" && name != "verify" && name != "end" {
			return fmt.Errorf("unknown phase %q", CleanLine(psShort(name)))
		}
		f.Phases[name], err = drillInt(ns)
	case "sha256":
		f.SHA256, err = drillHex(rest)
	case "sidecar":
		f.Sidecar, err = drillHex(rest)
	case "no-sidecar":
		f.NoSidecar = true
	case "check", "compare":
		var n int64
		if n, err = drillInt(rest); err == nil && n > 255 {
			err = fmt.Errorf("exit status %d", n)
		}
		if word == "check" {
			f.Check = int(n)
		} else {
			f.Compare = int(n)
		}
	case "backing":
		f.Backing = CleanLine(rest)
	case "fail":
		f.Fail = CleanLine(rest)
	case "done":
		f.Done = true
	default:
		return fmt.Errorf("unknown line %q", CleanLine(psShort(l)))
	}
	return err
}

func drillInt(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a count, got %q", CleanLine(psShort(s)))
	}
	return n, nil
}

func drillHex(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 128 || strings.Trim(s, "0123456789abcdef") != "" {
		return "", fmt.Errorf("want a hex digest, got %q", CleanLine(psShort(s)))
	}
	return s, nil
}
