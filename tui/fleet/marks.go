package fleet

import "maps"

// Marks: the operator marks hosts with space (or every shown host with
// ctrl+a) and a bulk action then applies to all of them. Marks are kept by
// name in the table, never on the report, so a new report does not clear
// them and a filter only hides them.
//
// The marks and busy maps are copied before every change, so a Table value
// (and the Model holding it) keeps value semantics: an older copy of the
// model never sees a later mark. The maps are small and change only on a
// key press.

// ToggleMark marks the selected host, or unmarks it if it was marked.
func (t *Table) ToggleMark() {
	h := t.Selected()
	if h == nil {
		return
	}
	t.marks = maps.Clone(t.marks)
	if _, ok := t.marks[h.Name]; ok {
		delete(t.marks, h.Name)
		return
	}
	t.marks[h.Name] = struct{}{}
}

// MarkShown marks every host that passes the filter.
func (t *Table) MarkShown() {
	t.marks = maps.Clone(t.marks)
	for _, i := range t.order {
		t.marks[t.rows[i].Name] = struct{}{}
	}
}

// ClearMarks unmarks every host.
func (t *Table) ClearMarks() { t.marks = map[string]struct{}{} }

// MarkedCount is how many hosts are marked, shown or not.
func (t Table) MarkedCount() int { return len(t.marks) }

// IsMarked reports whether the named host is marked.
func (t Table) IsMarked(name string) bool {
	_, ok := t.marks[name]
	return ok
}

// Marked returns the marked hosts' names in inventory order, including
// those the filter hides (the confirmation lists them all).
func (t Table) Marked() []string {
	out := make([]string, 0, len(t.marks))
	for _, h := range t.rows {
		if _, ok := t.marks[h.Name]; ok {
			out = append(out, h.Name)
		}
	}
	return out
}

// SetBusy shows text (e.g. "restarting…") in the named hosts' check column
// until ClearBusy; it marks an action in flight on those rows.
func (t *Table) SetBusy(names []string, text string) {
	t.busy = maps.Clone(t.busy)
	for _, n := range names {
		t.busy[n] = text
	}
}

// ClearBusy ends the busy text of the named hosts.
func (t *Table) ClearBusy(names []string) {
	t.busy = maps.Clone(t.busy)
	for _, n := range names {
		delete(t.busy, n)
	}
}

// Busy reports whether an action is in flight on the named host.
func (t Table) Busy(name string) bool {
	_, ok := t.busy[name]
	return ok
}
