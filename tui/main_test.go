package tui

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine (a report wait, a program
// loop) outlives the tests.
// teatest's own SIGINT watcher never exits (a library limitation), so it
// alone is ignored.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"))
}
