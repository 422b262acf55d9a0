package probes

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// Parsers for the output of the three backup commands of hosts/commands.go:
// the listing loop, the sha256sum-plus-sidecar script and qemu-img check.
// They accept only the documented shapes; anything else is an error wrapping
// errBackupOutput, and the spec that asked becomes UNKNOWN with the reason.

// errBackupOutput marks backup command output that does not have the
// documented shape. (It plays the role ErrUnparseable plays for the other
// checks; the backups files keep their own so they depend only on the
// stable parts of the package.)
var errBackupOutput = errors.New("probes: unparseable backup output")

// errSHA256NoHash is returned when sha256sum printed no hash line: it could
// not read the file (vanished, permission denied); its stderr says why.
var errSHA256NoHash = errors.New("probes: sha256sum printed no hash")

// Marker lines printed by hosts.SHA256VerifyCommand and QemuImgCheckCommand.
const (
	markNoTool    = "--no-tool--"
	markSidecar   = "--sidecar--"
	markNoSidecar = "--no-sidecar--"
)

// sidecarSuffix names a backup's checksum sidecar; such files are never
// counted as backups themselves, so a glob like "/srv/backups/*" works.
const sidecarSuffix = ".sha256"

// backupFile is one line of the backup listing. Path is raw remote text: it
// is cleaned before display, and quoted by the command builders when reused.
type backupFile struct {
	Path  string
	MTime time.Time
	Size  int64
}

// parseBackupListing parses hosts.BackupListCommand output: "MTIME SIZE
// PATH" per line, MTIME in Unix seconds and SIZE in bytes. Every path must
// be absolute and match glob, which catches stray text and a file name
// holding a newline. Sidecars (*.sha256) are dropped. The result is sorted
// newest first (mtime, then path, descending, so ties are stable).
func parseBackupListing(out, glob string) ([]backupFile, error) {
	var files []backupFile
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	for i, l := range lines {
		f, err := parseListingLine(l, glob)
		if err != nil {
			return nil, fmt.Errorf("%w: backup listing line %d: %w", errBackupOutput, i+1, err)
		}
		if !strings.HasSuffix(f.Path, sidecarSuffix) {
			files = append(files, f)
		}
	}
	slices.SortFunc(files, func(a, b backupFile) int {
		if c := b.MTime.Compare(a.MTime); c != 0 {
			return c
		}
		return strings.Compare(b.Path, a.Path)
	})
	return files, nil
}

// parseListingLine parses one "MTIME SIZE PATH" line.
func parseListingLine(l, glob string) (backupFile, error) {
	mt, rest, ok1 := strings.Cut(l, " ")
	sz, p, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return backupFile{}, fmt.Errorf("want \"MTIME SIZE PATH\", got %q", backupExcerpt(l))
	}
	sec, err := strconv.ParseInt(mt, 10, 64)
	if err != nil {
		return backupFile{}, fmt.Errorf("bad mtime %q", backupExcerpt(mt))
	}
	size, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || size < 0 {
		return backupFile{}, fmt.Errorf("bad size %q", backupExcerpt(sz))
	}
	if !strings.HasPrefix(p, "/") {
		return backupFile{}, fmt.Errorf("path %q is not absolute", backupExcerpt(p))
	}
	// ValidGlob admits no negation or escapes, so sh and path.Match agree on
	// it; a pattern path.Match rejects (a stray "[") is not checked.
	if m, err := path.Match(glob, p); err == nil && !m {
		return backupFile{}, fmt.Errorf("path %q does not match %q", backupExcerpt(p), glob)
	}
	return backupFile{Path: p, MTime: time.Unix(sec, 0), Size: size}, nil
}

// backupExcerpt shortens remote text quoted in an error; the caller cleans it.
func backupExcerpt(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return truncateRunes(s, max) + "…"
}

// sha256Output is what hosts.SHA256VerifyCommand printed.
type sha256Output struct {
	ToolMissing bool
	// FileHash is the file's sha256 in lower-case hex.
	FileHash string
	// HasSidecar is set when FILE.sha256 exists; Sidecar is its content
	// (the first 4096 bytes).
	HasSidecar bool
	Sidecar    string
}

// parseSHA256Output parses the verify script's output: one sha256sum line,
// then a "--sidecar--" line and the sidecar content as a hex dump, or a "--no-sidecar--"
// line; or just "--no-tool--". No hash line before the marker yields
// errSHA256NoHash.
func parseSHA256Output(out string) (sha256Output, error) {
	if backupNoTool(out) {
		return sha256Output{ToolMissing: true}, nil
	}
	lines := strings.Split(out, "\n")
	m := slices.IndexFunc(lines, func(l string) bool {
		l = strings.TrimSuffix(l, "\r")
		return l == markSidecar || l == markNoSidecar
	})
	if m < 0 {
		return sha256Output{}, fmt.Errorf("%w: sha256 verify: no sidecar marker", errBackupOutput)
	}
	var hashLines []string
	for _, l := range lines[:m] {
		if strings.TrimSpace(l) != "" {
			hashLines = append(hashLines, l)
		}
	}
	switch len(hashLines) {
	case 0:
		return sha256Output{}, errSHA256NoHash
	case 1:
	default:
		return sha256Output{}, fmt.Errorf("%w: sha256 verify: %d lines before the sidecar marker", errBackupOutput, len(hashLines))
	}
	hash, ok := sumLineHash(hashLines[0])
	if !ok {
		return sha256Output{}, fmt.Errorf("%w: sha256 verify: bad sha256sum line %q", errBackupOutput, backupExcerpt(hashLines[0]))
	}
	res := sha256Output{FileHash: hash}
	rest := strings.Join(lines[m+1:], "\n")
	if strings.TrimSuffix(lines[m], "\r") == markNoSidecar {
		if strings.TrimSpace(rest) != "" {
			return sha256Output{}, fmt.Errorf("%w: sha256 verify: text after %s", errBackupOutput, markNoSidecar)
		}
		return res, nil
	}
	sidecar, err := hosts.DecodeHexDump(rest)
	if err != nil {
		return sha256Output{}, fmt.Errorf("%w: sha256 verify: sidecar: %w", errBackupOutput, err)
	}
	res.HasSidecar, res.Sidecar = true, string(sidecar)
	return res, nil
}

// backupNoTool reports whether out is exactly the "tool not installed" marker.
func backupNoTool(out string) bool { return strings.TrimSpace(out) == markNoTool }

// sumLineHash reads a sha256sum output line: an optional "\" (escaped file
// name), 64 hex digits, a space, then " " or "*" and the file name.
func sumLineHash(l string) (string, bool) {
	l = strings.TrimPrefix(strings.TrimSuffix(l, "\r"), `\`)
	if len(l) < 67 || !isSHA256Hex(l[:64]) || l[64] != ' ' || (l[65] != ' ' && l[65] != '*') {
		return "", false
	}
	return strings.ToLower(l[:64]), true
}

// parseSidecar returns the hash a FILE.sha256 sidecar holds, in lower case.
// The sidecar must hold exactly one non-blank line: "HEX", "HEX  NAME",
// "HEX *NAME" (sha256sum's own output) or the BSD form "SHA256 (NAME) = HEX".
func parseSidecar(content string) (string, error) {
	var line string
	for _, l := range strings.Split(strings.TrimPrefix(content, "\uFEFF"), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case line != "":
			return "", errors.New("more than one line")
		default:
			line = l
		}
	}
	if line == "" {
		return "", errors.New("empty")
	}
	if rest, ok := strings.CutPrefix(line, "SHA256 ("); ok {
		if i := strings.LastIndex(rest, ") = "); i >= 0 && isSHA256Hex(rest[i+4:]) {
			return strings.ToLower(rest[i+4:]), nil
		}
		return "", errors.New("bad BSD-style line")
	}
	h := strings.TrimPrefix(line, `\`)
	if len(h) < 64 || !isSHA256Hex(h[:64]) || (len(h) > 64 && h[64] != ' ' && h[64] != '\t') {
		return "", errors.New("no 64-digit hex sha256 at the start")
	}
	return strings.ToLower(h[:64]), nil
}

// isSHA256Hex reports whether s is exactly 64 hex digits (either case).
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// qemuVerdict is what qemu-img check concluded, from its exit status.
type qemuVerdict int

const (
	qemuClean        qemuVerdict = iota // exit 0
	qemuIncomplete                      // exit 1: the check could not run to the end
	qemuCorrupt                         // exit 2
	qemuLeaks                           // exit 3: leaked clusters only, data intact
	qemuUnsupported                     // exit 63: the format has no checks (e.g. raw)
	qemuToolMissing                     // "--no-tool--"
	qemuExternalData                    // not checked: the header names an external data file
)

// qemuCheck is what hosts.QemuImgCheckCommand reported. Errors and Leaks
// are the counts qemu-img printed (-1 when it printed none).
type qemuCheck struct {
	Verdict      qemuVerdict
	Errors       int64
	Leaks        int64
	InternalErrs int64
}

// parseQemuImgOutput reads qemu-img check's exit status and text. The exit
// status decides; the counts are read from the summary lines ("N errors
// were found on the image.", "N leaked clusters were found on the image.",
// "N internal errors occurred during the check."). A clean exit must say
// "No errors were found on the image."; an exit status qemu-img does not
// document is an error.
func parseQemuImgOutput(out string, exit int) (qemuCheck, error) {
	c := qemuCheck{Errors: -1, Leaks: -1, InternalErrs: -1}
	if exit == 0 && backupNoTool(out) {
		c.Verdict = qemuToolMissing
		return c, nil
	}
	if exit == 0 && strings.TrimSpace(out) == hosts.QemuImgExternalData {
		c.Verdict = qemuExternalData
		return c, nil
	}
	clean := false
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		clean = clean || l == "No errors were found on the image."
		backupReadCount(l, " errors were found on the image.", &c.Errors)
		backupReadCount(l, " leaked clusters were found on the image.", &c.Leaks)
		backupReadCount(l, " internal errors occurred during the check.", &c.InternalErrs)
	}
	switch exit {
	case 0:
		if !clean || c.Errors > 0 || c.Leaks > 0 {
			return c, fmt.Errorf("%w: qemu-img check: exit 0 without \"No errors were found\"", errBackupOutput)
		}
		c.Verdict = qemuClean
	case 1:
		c.Verdict = qemuIncomplete
	case 2:
		c.Verdict = qemuCorrupt
	case 3:
		c.Verdict = qemuLeaks
	case 63:
		c.Verdict = qemuUnsupported
	default:
		return c, fmt.Errorf("%w: qemu-img check: unexpected exit status %d", errBackupOutput, exit)
	}
	return c, nil
}

// backupReadCount stores N from a line "N<suffix>" when N is a whole number.
func backupReadCount(line, suffix string, into *int64) {
	num, ok := strings.CutSuffix(line, suffix)
	if !ok {
		return
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil && n >= 0 {
		*into = n
	}
}

// formatBackupAge prints an age the way operators read backup schedules:
// "45s", "12m", "26h", "31h20m", "3d4h".
func formatBackupAge(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d < time.Hour:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d < 3*day:
		return backupTwoUnits(int64(d/time.Hour), "h", int64(d%time.Hour/time.Minute), "m")
	}
	return backupTwoUnits(int64(d/day), "d", int64(d%day/time.Hour), "h")
}

func backupTwoUnits(a int64, ua string, b int64, ub string) string {
	s := strconv.FormatInt(a, 10) + ua
	if b != 0 {
		s += strconv.FormatInt(b, 10) + ub
	}
	return s
}

// formatBytes prints a size in binary units: "512 B", "1.5 KiB", "2 GiB".
func formatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	return s + " " + units[i:i+1] + "iB"
}
