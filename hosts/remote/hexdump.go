package remote

import (
	"encoding/hex"
	"errors"
	"strings"
)

// Remote content that a less trusted party writes (a backup's sidecar, a
// domain name) is printed through hexDump, so no byte of it can land at
// the start of an output line as itself: whatever it holds, it cannot look
// like a batch frame or a marker line. od is POSIX and in coreutils and
// busybox alike.
const hexDump = "od -An -v -tx1"

// ErrHexDump is returned for output that hexDump did not print.
var ErrHexDump = errors.New("remote: not a hex dump")

// DecodeHexDump reads what hexDump printed: two hex digits per byte,
// separated by blanks and newlines.
func DecodeHexDump(s string) ([]byte, error) {
	fields := strings.Fields(s)
	out := make([]byte, len(fields))
	for i, f := range fields {
		if len(f) != 2 {
			return nil, ErrHexDump
		}
		if _, err := hex.Decode(out[i:i+1], []byte(f)); err != nil {
			return nil, ErrHexDump
		}
	}
	return out, nil
}

// HexDump prints b as hexDump does (16 bytes a line), for simulated hosts.
func HexDump(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		sb.WriteString(" " + hex.EncodeToString([]byte{c}))
		if i%16 == 15 || i == len(b)-1 {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}
