package hosts

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// chainDoc is an inventory of n hosts, each jumping through the one before.
func chainDoc(n int) string {
	var b strings.Builder
	b.WriteString("ssh_config = \"off\"\n")
	for i := range n {
		fmt.Fprintf(&b, "[[hosts]]\nname = \"h%d\"\naddress = \"10.0.%d.%d\"\n", i, i/250, i%250+1)
		if i > 0 {
			fmt.Fprintf(&b, "jump = \"h%d\"\n", i-1)
		}
	}
	return b.String()
}

// A chain of MaxJumpDepth hops is fine; one more is refused at the first
// host that needs it, with its file:line:column.
func TestJumpDepthCapped(t *testing.T) {
	cfg := mustLoad(t, chainDoc(MaxJumpDepth+1), hermetic())
	if got := len(hostByName(t, cfg, fmt.Sprintf("h%d", MaxJumpDepth)).Jump); got != MaxJumpDepth {
		t.Fatalf("deepest host has %d hops, want %d", got, MaxJumpDepth)
	}
	line := 4*(MaxJumpDepth+1) + 4 // the jump key of host MaxJumpDepth+1
	matchProblems(t, problemsOf(t, chainDoc(MaxJumpDepth+2), hermetic()), []string{
		fmt.Sprintf("%d:8 hosts[%d].jump | jump chain of %d hops: at most %d", line, MaxJumpDepth+1, MaxJumpDepth+1, MaxJumpDepth),
	})
}

// A 2000-deep chain is refused without building 2000 chains of up to
// 2000 hops (which took 432 MB).
func TestDeepJumpChainCheap(t *testing.T) {
	doc := chainDoc(2000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	problemsOf(t, doc, hermetic())
	runtime.ReadMemStats(&after)
	got := after.TotalAlloc - before.TotalAlloc
	if got > 64<<20 {
		t.Errorf("validating a 2000-deep chain allocated %d MiB", got>>20)
	}
	t.Logf("validating a 2000-deep chain allocated %d MiB", got>>20)
}
