package warroom

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/tui/fleet"
	"github.com/hvconsole/hvconsole/tui/keys"
	"github.com/hvconsole/hvconsole/tui/theme"
)

func TestGridPages(t *testing.T) {
	inv := make([]hosts.Host, 100)
	for i := range inv {
		inv[i] = hosts.Host{Name: fmt.Sprintf("h%03d", i)}
	}
	th := theme.New(true, false)
	tb := fleet.New(inv, th, keys.Default(), time.Now)
	g := New(th, keys.Default())
	g.SetSize(80, 20)
	first := ansi.Strip(g.View(tb))
	if !strings.Contains(first, "h000") || strings.Contains(first, "h099") {
		t.Fatal("page 1 should start at the first host")
	}
	if !strings.Contains(first, "page 1/") {
		t.Fatal("missing page note")
	}
	g, _ = g.Update(tea.KeyPressMsg{Code: tea.KeyPgDown})
	if second := ansi.Strip(g.View(tb)); strings.Contains(second, "h000") || !strings.Contains(second, "page 2/") {
		t.Fatal("pgdown should show the next page")
	}
	for _, sz := range [][2]int{{0, 0}, {5, 3}, {17, 4}, {250, 70}} {
		g.SetSize(sz[0], sz[1])
		for i, l := range strings.Split(ansi.Strip(g.View(tb)), "\n") {
			if ansi.StringWidth(l) > sz[0] {
				t.Fatalf("%v: line %d too wide", sz, i)
			}
		}
	}
}
