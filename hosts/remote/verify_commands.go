package remote

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The backup verification commands. Backup files are untrusted input: the
// file name comes from a remote listing and the content from whoever wrote
// the backup. So the file name is quoted, the sidecar printed as a hex
// dump, and qemu-img never follows the image's own header to another file
// or a network server; both tools run under timeout(1), so they stop on the
// host once the verification's deadline has passed, even after our session
// is gone.

// MaxVerifyLimit bounds the remote run time of one verification command.
const MaxVerifyLimit = time.Hour

// qemuImgMaxMemory is the address-space limit of qemu-img check (prlimit
// --as): checking the metadata of a multi-terabyte qcow2 needs well under
// 1 GiB, a malformed image that asks for more is stopped.
const qemuImgMaxMemory = 2 << 30

// killGrace is how long timeout(1) waits after TERM before KILL.
const killGrace = "5"

// verifyLimit validates file and limit and returns limit in whole seconds.
func verifyLimit(file string, limit time.Duration) (string, error) {
	if file == "" || strings.ContainsAny(file, "\x00\n") || !utf8.ValidString(file) {
		return "", fmt.Errorf("%w: file %q", ErrBadArgument, file)
	}
	if limit <= 0 || limit > MaxVerifyLimit {
		return "", fmt.Errorf("%w: verify time limit %v", ErrBadArgument, limit)
	}
	return strconv.Itoa(int((limit + time.Second - 1) / time.Second)), nil
}

// SHA256VerifyCommand prints the file's sha256sum line, then the first
// 4096 bytes of the sidecar FILE.sha256 as a hex dump (DecodeHexDump)
// behind a "--sidecar--" line ("--no-sidecar--" when missing), or only
// "--no-tool--" without sha256sum. sha256sum runs for at most limit
// (rounded up to seconds; exit 124 when cut). It never exits early, so it
// can stand inside a Batch.
func SHA256VerifyCommand(file string, limit time.Duration) (string, error) {
	secs, err := verifyLimit(file, limit)
	if err != nil {
		return "", err
	}
	q := ShellQuote(file)
	sc := ShellQuote(file + ".sha256")
	return `if command -v sha256sum >/dev/null; then timeout -k ` + killGrace + ` ` + secs + ` sha256sum -- ` + q +
		`; if [ -f ` + sc + ` ]; then echo --sidecar--; head -c 4096 -- ` + sc + ` | ` + hexDump + `; else echo --no-sidecar--; fi` +
		`; else echo --no-tool--; fi`, nil
}

// QemuImgExternalData is the line QemuImgCheckCommand prints instead of
// checking a qcow2 image whose header names an external data file.
const QemuImgExternalData = "--external-data-file--"

// qemuImgTarget is the image as qemu-img opens it: format qcow2 given, not
// probed; the file driver on the path itself; and no backing file, so a
// path or an nbd:// URL written in the image's header is never opened.
func qemuImgTarget(file string) string {
	type node struct {
		Driver   string `json:"driver"`
		Filename string `json:"filename,omitempty"`
	}
	spec := struct {
		Driver  string `json:"driver"`
		Backing *node  `json:"backing"` // null: do not open the backing chain
		File    node   `json:"file"`
	}{Driver: "qcow2", File: node{Driver: "file", Filename: file}}
	b, _ := json.Marshal(spec) // strings and a nil pointer: cannot fail
	return "json:" + string(b)
}

// QemuImgCheckCommand runs "qemu-img check" on file as a qcow2 image (the
// format is given, never probed from the file) without opening its backing
// chain, under timeout(1) and prlimit (address space and CPU time), for at
// most limit. "--no-tool--" is printed when qemu-img is not installed, and
// QemuImgExternalData instead of a check when the qcow2 header names an
// external data file (qemu-img would open the file named there; the
// header is read with od: magic, version 3, incompatible feature bit 2).
// prlimit is util-linux's.
func QemuImgCheckCommand(file string, limit time.Duration) (string, error) {
	secs, err := verifyLimit(file, limit)
	if err != nil {
		return "", err
	}
	q := ShellQuote(file)
	return `if command -v qemu-img >/dev/null; then if ` + qcow2ExternalData(q) + `; then echo ` + QemuImgExternalData + `; ` +
		`else ` + boundedQemuImg(secs, "check -f qcow2 "+ShellQuote(qemuImgTarget(file))) + `; fi; else echo --no-tool--; fi`, nil
}

// qcow2ExternalData is a shell test that holds when the file (q, quoted)
// is a v3 qcow2 whose header names an external data file: magic, version
// 3, incompatible feature bit 2, read with od. It sets the positional
// parameters.
func qcow2ExternalData(q string) string {
	return `set -- $(od -An -v -tu1 -N80 -- ` + q + `); [ "$1.$2.$3.$4.$8" = 81.70.73.251.3 ] && [ $(( ${80:-0} & 4 )) -ne 0 ]`
}

// boundedQemuImg is "qemu-img ARGS" under timeout(1) and prlimit (address
// space and CPU time) for secs seconds; args are already quoted.
func boundedQemuImg(secs, args string) string {
	return `timeout -k ` + killGrace + ` ` + secs + ` prlimit --as=` + strconv.Itoa(qemuImgMaxMemory) + ` --cpu=` + secs +
		` -- qemu-img ` + args
}
