package remote

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The remote commands of Hyper-V hosts. Every command is a constant
// PowerShell script sent as
//
//	powershell.exe -NoProfile -NonInteractive -EncodedCommand <base64 of UTF-16LE>
//
// which needs no quoting through cmd.exe and works whichever default shell
// the host's OpenSSH server uses. A value a script needs (a service name
// from the allow-list, a path from a backup spec) goes in as a PowerShell
// single-quoted literal built by PSQuote, and only after it passed
// validation. Scripts print one JSON document (ConvertTo-Json -Compress
// -Depth 4) with enums projected to strings, lists wrapped in @() and times
// as ISO 8601 strings; the parsers in package probes still accept the
// Windows PowerShell 5.1 quirks.
//
// cmd.exe refuses command lines over 8191 characters, and the encoding
// multiplies a script's length by 8/3, so scripts stay under ~3000
// characters (a test holds every builder to MaxCommandLine).

// MaxCommandLine is the longest command line cmd.exe accepts; every Hyper-V
// command this package builds is shorter.
const MaxCommandLine = 8191

// psPrefix is the fixed start of every Hyper-V command.
const psPrefix = "powershell.exe -NoProfile -NonInteractive -EncodedCommand "

// EncodedCommand wraps a PowerShell script as a powershell.exe command line:
// the script is encoded as UTF-16LE, then base64.
func EncodedCommand(script string) string {
	units := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		b[2*i], b[2*i+1] = byte(u), byte(u>>8)
	}
	return psPrefix + base64.StdEncoding.EncodeToString(b)
}

// DecodeEncodedCommand is the inverse of EncodedCommand, for the simulated
// hosts that must recognise the exact scripts; ok is false for anything
// EncodedCommand cannot have produced.
func DecodeEncodedCommand(cmd string) (script string, ok bool) {
	enc, found := strings.CutPrefix(cmd, psPrefix)
	if !found {
		return "", false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil || len(b)%2 != 0 {
		return "", false
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	s := string(utf16.Decode(units))
	if EncodedCommand(s) != cmd {
		return "", false // unpaired surrogates do not round-trip
	}
	return s, true
}

// psSingleQuotes are the characters PowerShell reads as a single quote
// inside a single-quoted string: ' and the typographic ‘ ’ ‚ ‛.
const psSingleQuotes = "'\u2018\u2019\u201a\u201b"

// psDoubleQuotes are the characters PowerShell reads as a double quote.
const psDoubleQuotes = "\"\u201c\u201d\u201e"

// PSQuote quotes s as a PowerShell single-quoted string, doubling every
// character PowerShell treats as a single quote. Only validated values may
// be quoted: validation already refuses quotes, so doubling is a second
// line of defence, not the first.
func PSQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if strings.ContainsRune(psSingleQuotes, r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// Limits on values put into Hyper-V scripts, which keep every command under
// MaxCommandLine.
const (
	// MaxWindowsPath is the longest Windows path or glob accepted.
	MaxWindowsPath = 200
	// MaxResourcePaths is how many storage paths the resources script reads.
	MaxResourcePaths = 8
)

// windowsPathProblem says why s is not an acceptable absolute Windows path
// (a glob when glob is set), or "" when it is. Accepted: a drive letter,
// ":\", then path characters; refused: quotes of any kind, $, the backtick,
// control characters, <>|"/:, a ".." segment, and (outside globs) * ? [ ].
func windowsPathProblem(s string, glob bool) string {
	switch {
	case len(s) < 3 || !isDriveLetter(s[0]) || s[1] != ':' || s[2] != '\\':
		return "want an absolute path starting with a drive letter, e.g. D:\\Backups"
	case len(s) > MaxWindowsPath:
		return fmt.Sprintf("longer than %d characters", MaxWindowsPath)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	}
	for _, r := range s[3:] {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "holds a control character"
		case strings.ContainsRune(psSingleQuotes+psDoubleQuotes+"$`", r):
			return fmt.Sprintf("holds %q, which PowerShell would interpret", r)
		case strings.ContainsRune("<>|/:", r):
			return fmt.Sprintf("holds %q, which Windows paths cannot", r)
		case !glob && strings.ContainsRune("*?[]", r):
			return fmt.Sprintf("holds the wildcard %q", r)
		}
	}
	for _, seg := range strings.Split(s[3:], "\\") {
		if seg == ".." {
			return `holds a ".." segment`
		}
	}
	return ""
}

func isDriveLetter(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }

// ValidWindowsPath reports whether s is an acceptable absolute Windows path
// without wildcards.
func ValidWindowsPath(s string) bool { return windowsPathProblem(s, false) == "" }

// ValidWindowsGlob reports whether s is an acceptable absolute Windows path
// that may hold the wildcards * ? [ ] in its file name part.
func ValidWindowsGlob(s string) bool { return windowsPathProblem(s, true) == "" }

// WindowsPathProblem explains why s is not a valid Windows backup glob, for
// config validation ("" when it is valid).
func WindowsPathProblem(s string, glob bool) string { return windowsPathProblem(s, glob) }

// psPreamble starts every script: no progress records (PowerShell 5.1 sends
// them to stderr as CLIXML over SSH) and UTF-8 output without a BOM, so VM
// and file names survive.
const psPreamble = "$ProgressPreference='SilentlyContinue'\n" +
	"[Console]::OutputEncoding=New-Object Text.UTF8Encoding $false\n"

// psEmit ends every JSON script: one compressed document.
const psEmit = "\n$o|ConvertTo-Json -Compress -Depth 4\n"
