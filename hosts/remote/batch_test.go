package remote

import (
	"bytes"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const testBoundary = "0123456789abcdef0123456789abcdef"

func TestSplitBatch(t *testing.T) {
	f := func(i int, out string, rc int) string { return BatchFrame(testBoundary, i, out, rc) }
	open := func(i int) string { return "@@hv:" + testBoundary + ":" + string(rune('0'+i)) + "\n" }
	tests := []struct {
		name   string
		stdout string
		want   []BatchPart
	}{
		{"two parts", f(0, "a\n", 0) + f(1, "b\nc\n", 3), []BatchPart{{"a\n", 0}, {"b\nc\n", 3}}},
		{"text outside frames ignored", "motd\n" + f(0, "a\n", 0) + "noise\n" + f(1, "", 1), []BatchPart{{"a\n", 0}, {"", 1}}},
		{"crlf", strings.ReplaceAll(f(0, "a\n", 0), "\n", "\r\n"), []BatchPart{{"a\r\n", 0}, {"", -1}}},
		{"cut short", f(0, "a\n", 0) + open(1) + "b\n", []BatchPart{{"a\n", 0}, {"b\n", -1}}},
		{"another boundary is content", open(0) + "@@hv:0:0\n@@hv:ffffffffffffffffffffffffffffffff:0:0\n" + "@@hv:" + testBoundary + ":0:0\n",
			[]BatchPart{{"@@hv:0:0\n@@hv:ffffffffffffffffffffffffffffffff:0:0\n", 0}, {"", -1}}},
		{"a closed part reopened", f(0, "bad\n", 1) + open(1) + f(0, "forged\n", 0) + "@@hv:" + testBoundary + ":1:0\n",
			[]BatchPart{{"bad\n", 1}, {"", -1}}},
		{"out of order", f(1, "b\n", 0) + f(0, "a\n", 0), []BatchPart{{"", -1}, {"", -1}}},
		{"begin twice", open(0) + open(0) + "a\n" + "@@hv:" + testBoundary + ":0:0\n", []BatchPart{{"", -1}, {"", -1}}},
		{"index with sign", "@@hv:" + testBoundary + ":+0\nx\n", []BatchPart{{"", -1}, {"", -1}}},
		{"garbled status", open(0) + "a\n@@hv:" + testBoundary + ":0:x\n", []BatchPart{{"a\n", -1}, {"", -1}}},
		{"part past the end", f(0, "", 0) + f(1, "", 0) + f(2, "", 0), []BatchPart{{"", 0}, {"", 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitBatch(tt.stdout, testBoundary, 2); !slices.Equal(got, tt.want) {
				t.Errorf("splitBatch =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// Each batch gets its own boundary; the script runs in the real /bin/sh,
// and a command printing another batch's frames cannot forge this one's.
func TestBatchRealShell(t *testing.T) {
	first, err := Batch("true")
	if err != nil {
		t.Fatal(err)
	}
	forged := BatchFrame(first.boundary, 1, "forged\n", 0) + "@@hv:0:0\n"
	evil := "printf '" + strings.ReplaceAll(forged, "\n", `\n`) + "'"
	b, err := Batch("echo one; (exit 3)", evil, "echo three")
	if err != nil {
		t.Fatal(err)
	}
	if b.boundary == first.boundary || len(b.boundary) != boundaryLen {
		t.Fatalf("boundaries %q and %q", first.boundary, b.boundary)
	}
	out, err := exec.Command("/bin/sh", "-c", b.Script).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := []BatchPart{{"one\n", 3}, {forged, 0}, {"three\n", 0}}
	if got := b.Split(string(out)); !slices.Equal(got, want) {
		t.Errorf("parts %+v, want %+v", got, want)
	}
	boundary, cmds, ok := UnBatch(b.Script)
	if !ok || boundary != b.boundary || len(cmds) != 3 || cmds[1] != evil {
		t.Errorf("UnBatch = %q, %q, %v", boundary, cmds, ok)
	}
}

// HexDump prints what od prints, and DecodeHexDump reads both back.
func TestHexDumpMatchesOd(t *testing.T) {
	data := []byte("@@hv:0:0\nsha256 \x00\xff\r\n\u200b" + strings.Repeat("x", 40))
	c := exec.Command("/bin/sh", "-c", hexDump)
	c.Stdin = bytes.NewReader(data)
	out, err := c.Output()
	if err != nil {
		t.Skipf("od: %v", err)
	}
	if string(out) != HexDump(data) {
		t.Errorf("od printed\n%q\nHexDump\n%q", out, HexDump(data))
	}
	if got, err := DecodeHexDump(string(out)); err != nil || !bytes.Equal(got, data) {
		t.Errorf("DecodeHexDump = %q, %v", got, err)
	}
	for _, bad := range []string{"6", "6g", "616", "@@hv:0:0"} {
		if _, err := DecodeHexDump(bad); err == nil {
			t.Errorf("DecodeHexDump(%q) accepted", bad)
		}
	}
}

// Whatever the remote prints: every part closed has its frame in order, and
// the parts never depend on text before the first frame.
func FuzzSplitBatch(f *testing.F) {
	f.Add(BatchFrame(testBoundary, 0, "a\n", 0)+BatchFrame(testBoundary, 1, "b\n", 2), 2)
	f.Add("@@hv:"+testBoundary+":0\n@@hv:"+testBoundary+":0\n", 1)
	f.Add(BatchFrame(testBoundary, 1, "", 0)+BatchFrame(testBoundary, 0, "", 0), 3)
	f.Fuzz(func(t *testing.T, stdout string, n int) {
		n = min(max(n, 0), 8)
		parts := splitBatch(stdout, testBoundary, n)
		if len(parts) != n {
			t.Fatalf("%d parts, want %d", len(parts), n)
		}
		for i, p := range parts {
			if p.Exit >= 0 && i > 0 && parts[i-1].Exit < 0 {
				t.Fatalf("part %d closed after part %d did not", i, i-1)
			}
			open := "@@hv:" + testBoundary + ":" + strconv.Itoa(i)
			frame := open + "\n" + p.Output + open + ":" + strconv.Itoa(p.Exit)
			noCR := func(s string) string { return strings.ReplaceAll(s, "\r", "") }
			if p.Exit >= 0 && !strings.Contains(noCR(stdout), noCR(frame)) {
				t.Fatalf("part %d = %q/%d, not framed in the output", i, p.Output, p.Exit)
			}
		}
		if again := splitBatch("motd\n"+stdout, testBoundary, n); !strings.HasPrefix(stdout, "@@") && !slices.Equal(parts, again) {
			t.Fatalf("a leading line changed the parts: %+v vs %+v", parts, again)
		}
	})
}
