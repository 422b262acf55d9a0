package fleet

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestMarks(t *testing.T) {
	down := tea.KeyPressMsg{Code: 'j', Text: "j"}
	tests := []struct {
		name   string
		do     func(tb *Table)
		marked []string
	}{
		{"toggle selected", func(tb *Table) { tb.ToggleMark() }, []string{"h000"}},
		{"toggle twice unmarks", func(tb *Table) { tb.ToggleMark(); tb.ToggleMark() }, nil},
		{"mark two", func(tb *Table) { tb.ToggleMark(); *tb, _ = tb.Update(down); tb.ToggleMark() }, []string{"h000", "h001"}},
		{"mark shown only", func(tb *Table) { tb.SetFilter("rack1"); tb.MarkShown() }, []string{"h001", "h005"}},
		{"marks survive the filter", func(tb *Table) { tb.SetFilter("rack1"); tb.MarkShown(); tb.SetFilter("rack2") }, []string{"h001", "h005"}},
		{"clear", func(tb *Table) { tb.MarkShown(); tb.ClearMarks() }, nil},
		{"empty view marks nothing", func(tb *Table) { tb.SetFilter("zzz"); tb.ToggleMark(); tb.MarkShown() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable(8)
			tb.SetSort(SortName)
			tb.SetSize(100, 12)
			tt.do(&tb)
			got := tb.Marked()
			if !slices.Equal(got, tt.marked) && !(len(got) == 0 && len(tt.marked) == 0) {
				t.Fatalf("marked %v, want %v", got, tt.marked)
			}
			if tb.MarkedCount() != len(tt.marked) {
				t.Fatalf("MarkedCount %d, want %d", tb.MarkedCount(), len(tt.marked))
			}
			for _, n := range tt.marked {
				if !tb.IsMarked(n) {
					t.Fatalf("%s not reported marked", n)
				}
			}
		})
	}
}

func TestMarkAndBusyDrawn(t *testing.T) {
	tb := newTable(3)
	tb.SetSort(SortName)
	tb.SetSize(100, 6)
	tb.Apply(rep("h001", 0, 0, t0))
	tb.Settle()
	tb.ToggleMark() // h000, selected
	tb.MarkShown()
	tb.SetBusy([]string{"h001"}, "restarting…")
	out := ansi.Strip(tb.View())
	for _, want := range []string{"›● - PENDING h000", " ● ✓ OK      h001", "restarting…", "3 marked"} {
		if !strings.Contains(out, want) {
			t.Errorf("view lacks %q:\n%s", want, out)
		}
	}
	if !tb.Busy("h001") || tb.Busy("h000") {
		t.Fatal("busy state wrong")
	}
	tb.ClearBusy([]string{"h001"})
	if strings.Contains(ansi.Strip(tb.View()), "restarting") || tb.Busy("h001") {
		t.Fatal("busy text stays after ClearBusy")
	}
}
