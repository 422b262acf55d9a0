package actions

import (
	"fmt"
	"strings"
	"testing"
)

// journalctl and Get-WinEvent print the oldest line first: the journal
// view must keep the newest lines, each cleaned on its own, and say when
// older ones were cut.
func TestJournalKeepsNewestLines(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= JournalLines; i++ {
		fmt.Fprintf(&b, "Nov 27 03:%02d:00 hv libvirtd[812]: line %03d \x1b[31m%s\n", i%60, i, strings.Repeat("x", 60))
	}
	tr := &fakeTransport{stdout: b.String()}
	r, _ := newRunner(t, true, tr)
	text, err := r.Journal(t.Context(), host("a"), "libvirtd")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, fmt.Sprintf("line %03d", JournalLines)) || strings.ContainsRune(text, 0x1b) {
		t.Errorf("last line %q, want line %03d, cleaned", last, JournalLines)
	}
	if got := len(lines); got != JournalLines && !strings.Contains(lines[0], "earlier lines cut") {
		t.Errorf("%d of %d lines kept and no note of the cut: first %q", got, JournalLines, lines[0])
	}
}
