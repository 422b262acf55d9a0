package remote

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Batches: all of a host's commands in one round run in one SSH session.
// Each command must be a single line. The output of part i is framed by a
// "@@hv:B:i" line and a "@@hv:B:i:RC" line, where B is a boundary drawn
// from crypto/rand for each batch: remote content (file names, sidecars,
// domain names) cannot guess it, so it cannot forge a frame. The frames
// must come in order, each once; the first marker out of place ends the
// reading, and the parts not closed by then count as cut short. Remote
// content that a less trusted party writes (a sidecar, a domain name) is
// moreover printed hex-encoded (HexDump) by the command that reads it.

const batchTag = "@@hv:"

// boundaryLen is the length of a batch boundary in hex digits (128 bits).
const boundaryLen = 32

// BatchScript is a script made by Batch with the boundary its frames carry.
type BatchScript struct {
	// Script is what the remote shell runs.
	Script   string
	boundary string
	n        int
}

// Batch joins single-line commands into one script with a fresh boundary.
func Batch(cmds ...string) (BatchScript, error) {
	var raw [boundaryLen / 2]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return BatchScript{}, fmt.Errorf("remote: batch boundary: %w", err)
	}
	boundary := hex.EncodeToString(raw[:])
	var b strings.Builder
	for i, c := range cmds {
		if strings.ContainsAny(c, "\n\r") {
			return BatchScript{}, fmt.Errorf("%w: multi-line command in batch", ErrBadArgument)
		}
		fmt.Fprintf(&b, "echo %s%s:%d; %s; echo %s%s:%d:$?\n", batchTag, boundary, i, c, batchTag, boundary, i)
	}
	return BatchScript{Script: b.String(), boundary: boundary, n: len(cmds)}, nil
}

// UnBatch recovers the boundary and the commands of a script made by Batch,
// for simulated hosts; ok is false when script is not a batch.
func UnBatch(script string) (boundary string, cmds []string, ok bool) {
	first, _, _ := strings.Cut(script, ";")
	boundary, _, _ = strings.Cut(strings.TrimPrefix(first, "echo "+batchTag), ":")
	if len(boundary) != boundaryLen {
		return "", nil, false
	}
	lines := strings.Split(strings.TrimSuffix(script, "\n"), "\n")
	for i, l := range lines {
		head := fmt.Sprintf("echo %s%s:%d; ", batchTag, boundary, i)
		tail := fmt.Sprintf("; echo %s%s:%d:$?", batchTag, boundary, i)
		if !strings.HasPrefix(l, head) || !strings.HasSuffix(l, tail) || len(l) < len(head)+len(tail) {
			return "", nil, false
		}
		cmds = append(cmds, l[len(head):len(l)-len(tail)])
	}
	return boundary, cmds, len(cmds) > 0
}

// BatchFrame is part i's output as the script frames it, for simulated
// hosts answering a batch with boundary.
func BatchFrame(boundary string, i int, out string, exit int) string {
	return fmt.Sprintf("%s%s:%d\n%s%s%s:%d:%d\n", batchTag, boundary, i, out, batchTag, boundary, i, exit)
}

// BatchPart is one command's share of a batch's output.
type BatchPart struct {
	Output string
	// Exit is the command's exit status, or -1 when its end marker is missing
	// (the batch was cut short, or its framing broken).
	Exit int
}

// Split splits the batch's stdout into its parts. Text outside the frames
// is ignored; a part whose frame never closed has Exit -1 (and the output
// it had, if it started).
func (b BatchScript) Split(stdout string) []BatchPart {
	return splitBatch(stdout, b.boundary, b.n)
}

func splitBatch(stdout, boundary string, n int) []BatchPart {
	parts := make([]BatchPart, n)
	for i := range parts {
		parts[i].Exit = -1
	}
	prefix := batchTag + boundary + ":"
	next, open := 0, false
	var buf strings.Builder
	for _, line := range strings.SplitAfter(stdout, "\n") {
		rest, marker := strings.CutPrefix(strings.TrimRight(line, "\r\n"), prefix)
		if !marker {
			if open {
				buf.WriteString(line)
			}
			continue
		}
		idx, rc, hasRC := strings.Cut(rest, ":")
		code, err := exitStatus(rc)
		switch {
		case next >= n || idx != strconv.Itoa(next):
		case !open && !hasRC:
			open = true
			buf.Reset()
			continue
		case open && hasRC && err == nil:
			parts[next] = BatchPart{Output: buf.String(), Exit: code}
			open, next = false, next+1
			continue
		}
		break // a duplicate, out-of-order or garbled marker: stop trusting the frames
	}
	if open {
		parts[next].Output = buf.String()
	}
	return parts
}

// exitStatus reads "$?" as the shell prints it: 1 to 3 digits, no
// leading zero.
func exitStatus(s string) (int, error) {
	if len(s) == 0 || len(s) > 3 || strings.Trim(s, "0123456789") != "" || (len(s) > 1 && s[0] == '0') {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(s)
}
