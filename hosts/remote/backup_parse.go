package remote

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Parsers for the output of the three backup commands of hosts/commands.go:
// the listing loop, the sha256sum-plus-sidecar script and qemu-img check.
// They accept only the documented shapes; anything else is an error wrapping
// ErrBackupOutput, and the spec that asked becomes UNKNOWN with the reason.

// ErrBackupOutput marks backup command output that does not have the
// documented shape. (It plays the role ErrUnparseable plays for the other
// checks; the backups files keep their own so they depend only on the
// stable parts of the package.)
var ErrBackupOutput = errors.New("remote: unparseable backup output")

// ErrSHA256NoHash is returned when sha256sum printed no hash line: it could
// not read the file (vanished, permission denied); its stderr says why.
var ErrSHA256NoHash = errors.New("remote: sha256sum printed no hash")

// Marker lines printed by SHA256VerifyCommand and QemuImgCheckCommand.
const (
	markNoTool    = "--no-tool--"
	markSidecar   = "--sidecar--"
	markNoSidecar = "--no-sidecar--"
)

// SidecarSuffix names a backup's checksum sidecar; such files are never
// counted as backups themselves, so a glob like "/srv/backups/*" works.
const SidecarSuffix = ".sha256"

// BackupFile is one line of the backup listing. Path is raw remote text: it
// is cleaned before display, and quoted by the command builders when reused.
type BackupFile struct {
	Path  string
	MTime time.Time
	Size  int64
}

// ParseBackupListing parses BackupListCommand output: "MTIME SIZE
// PATH" per line, MTIME in Unix seconds and SIZE in bytes. Every path must
// be absolute and match glob, which catches stray text and a file name
// holding a newline. Sidecars (*.sha256) are dropped. The result is sorted
// newest first (mtime, then path, descending, so ties are stable).
func ParseBackupListing(out, glob string) ([]BackupFile, error) {
	var files []BackupFile
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		lines = nil
	}
	for i, l := range lines {
		f, err := parseListingLine(l, glob)
		if err != nil {
			return nil, fmt.Errorf("%w: backup listing line %d: %w", ErrBackupOutput, i+1, err)
		}
		if !strings.HasSuffix(f.Path, SidecarSuffix) {
			files = append(files, f)
		}
	}
	slices.SortFunc(files, func(a, b BackupFile) int {
		if c := b.MTime.Compare(a.MTime); c != 0 {
			return c
		}
		return strings.Compare(b.Path, a.Path)
	})
	return files, nil
}

// parseListingLine parses one "MTIME SIZE PATH" line.
func parseListingLine(l, glob string) (BackupFile, error) {
	mt, rest, ok1 := strings.Cut(l, " ")
	sz, p, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return BackupFile{}, fmt.Errorf("want \"MTIME SIZE PATH\", got %q", backupExcerpt(l))
	}
	sec, err := strconv.ParseInt(mt, 10, 64)
	if err != nil {
		return BackupFile{}, fmt.Errorf("bad mtime %q", backupExcerpt(mt))
	}
	size, err := strconv.ParseInt(sz, 10, 64)
	if err != nil || size < 0 {
		return BackupFile{}, fmt.Errorf("bad size %q", backupExcerpt(sz))
	}
	if !strings.HasPrefix(p, "/") {
		return BackupFile{}, fmt.Errorf("path %q is not absolute", backupExcerpt(p))
	}
	// ValidGlob admits no negation or escapes, so sh and path.Match agree on
	// it; a pattern path.Match rejects (a stray "[") is not checked.
	if m, err := path.Match(glob, p); err == nil && !m {
		return BackupFile{}, fmt.Errorf("path %q does not match %q", backupExcerpt(p), glob)
	}
	return BackupFile{Path: p, MTime: time.Unix(sec, 0), Size: size}, nil
}

// backupExcerpt shortens remote text quoted in an error; the caller cleans it.
func backupExcerpt(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return truncateRunes(s, max) + "…"
}

// SHA256Output is what SHA256VerifyCommand printed.
type SHA256Output struct {
	ToolMissing bool
	// FileHash is the file's sha256 in lower-case hex.
	FileHash string
	// HasSidecar is set when FILE.sha256 exists; Sidecar is its content
	// (the first 4096 bytes).
	HasSidecar bool
	Sidecar    string
}

// ParseSHA256Output parses the verify script's output: one sha256sum line,
// then a "--sidecar--" line and the sidecar content as a hex dump, or a "--no-sidecar--"
// line; or just "--no-tool--". No hash line before the marker yields
// ErrSHA256NoHash.
func ParseSHA256Output(out string) (SHA256Output, error) {
	if BackupNoTool(out) {
		return SHA256Output{ToolMissing: true}, nil
	}
	lines := strings.Split(out, "\n")
	m := slices.IndexFunc(lines, func(l string) bool {
		l = strings.TrimSuffix(l, "\r")
		return l == markSidecar || l == markNoSidecar
	})
	if m < 0 {
		return SHA256Output{}, fmt.Errorf("%w: sha256 verify: no sidecar marker", ErrBackupOutput)
	}
	var hashLines []string
	for _, l := range lines[:m] {
		if strings.TrimSpace(l) != "" {
			hashLines = append(hashLines, l)
		}
	}
	switch len(hashLines) {
	case 0:
		return SHA256Output{}, ErrSHA256NoHash
	case 1:
	default:
		return SHA256Output{}, fmt.Errorf("%w: sha256 verify: %d lines before the sidecar marker", ErrBackupOutput, len(hashLines))
	}
	hash, ok := sumLineHash(hashLines[0])
	if !ok {
		return SHA256Output{}, fmt.Errorf("%w: sha256 verify: bad sha256sum line %q", ErrBackupOutput, backupExcerpt(hashLines[0]))
	}
	res := SHA256Output{FileHash: hash}
	rest := strings.Join(lines[m+1:], "\n")
	if strings.TrimSuffix(lines[m], "\r") == markNoSidecar {
		if strings.TrimSpace(rest) != "" {
			return SHA256Output{}, fmt.Errorf("%w: sha256 verify: text after %s", ErrBackupOutput, markNoSidecar)
		}
		return res, nil
	}
	sidecar, err := DecodeHexDump(rest)
	if err != nil {
		return SHA256Output{}, fmt.Errorf("%w: sha256 verify: sidecar: %w", ErrBackupOutput, err)
	}
	res.HasSidecar, res.Sidecar = true, string(sidecar)
	return res, nil
}

// BackupNoTool reports whether out is exactly the "tool not installed" marker.
func BackupNoTool(out string) bool { return strings.TrimSpace(out) == markNoTool }

// sumLineHash reads a sha256sum output line: an optional "\" (escaped file
// name), 64 hex digits, a space, then " " or "*" and the file name.
func sumLineHash(l string) (string, bool) {
	l = strings.TrimPrefix(strings.TrimSuffix(l, "\r"), `\`)
	if len(l) < 67 || !IsSHA256Hex(l[:64]) || l[64] != ' ' || (l[65] != ' ' && l[65] != '*') {
		return "", false
	}
	return strings.ToLower(l[:64]), true
}

// ParseSidecar returns the hash a FILE.sha256 sidecar holds, in lower case.
// The sidecar must hold exactly one non-blank line: "HEX", "HEX  NAME",
// "HEX *NAME" (sha256sum's own output) or the BSD form "SHA256 (NAME) = HEX".
func ParseSidecar(content string) (string, error) {
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
		if i := strings.LastIndex(rest, ") = "); i >= 0 && IsSHA256Hex(rest[i+4:]) {
			return strings.ToLower(rest[i+4:]), nil
		}
		return "", errors.New("bad BSD-style line")
	}
	h := strings.TrimPrefix(line, `\`)
	if len(h) < 64 || !IsSHA256Hex(h[:64]) || (len(h) > 64 && h[64] != ' ' && h[64] != '\t') {
		return "", errors.New("no 64-digit hex sha256 at the start")
	}
	return strings.ToLower(h[:64]), nil
}

// IsSHA256Hex reports whether s is exactly 64 hex digits (either case).
func IsSHA256Hex(s string) bool {
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

// QemuVerdict is what qemu-img check concluded, from its exit status.
type QemuVerdict int

const (
	QemuClean        QemuVerdict = iota // exit 0
	QemuIncomplete                      // exit 1: the check could not run to the end
	QemuCorrupt                         // exit 2
	QemuLeaks                           // exit 3: leaked clusters only, data intact
	QemuUnsupported                     // exit 63: the format has no checks (e.g. raw)
	QemuToolMissing                     // "--no-tool--"
	QemuExternalData                    // not checked: the header names an external data file
)

// QemuCheck is what QemuImgCheckCommand reported. Errors and Leaks
// are the counts qemu-img printed (-1 when it printed none).
type QemuCheck struct {
	Verdict      QemuVerdict
	Errors       int64
	Leaks        int64
	InternalErrs int64
}

// ParseQemuImgOutput reads qemu-img check's exit status and text. The exit
// status decides; the counts are read from the summary lines ("N errors
// were found on the image.", "N leaked clusters were found on the image.",
// "N internal errors occurred during the check."). A clean exit must say
// "No errors were found on the image."; an exit status qemu-img does not
// document is an error.
func ParseQemuImgOutput(out string, exit int) (QemuCheck, error) {
	c := QemuCheck{Errors: -1, Leaks: -1, InternalErrs: -1}
	if exit == 0 && BackupNoTool(out) {
		c.Verdict = QemuToolMissing
		return c, nil
	}
	if exit == 0 && strings.TrimSpace(out) == QemuImgExternalData {
		c.Verdict = QemuExternalData
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
			return c, fmt.Errorf("%w: qemu-img check: exit 0 without \"No errors were found\"", ErrBackupOutput)
		}
		c.Verdict = QemuClean
	case 1:
		c.Verdict = QemuIncomplete
	case 2:
		c.Verdict = QemuCorrupt
	case 3:
		c.Verdict = QemuLeaks
	case 63:
		c.Verdict = QemuUnsupported
	default:
		return c, fmt.Errorf("%w: qemu-img check: unexpected exit status %d", ErrBackupOutput, exit)
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
