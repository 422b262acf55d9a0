package hosts

import (
	"regexp"
	"sort"
	"strconv"

	"github.com/pelletier/go-toml/v2/unstable"
)

// posIndex maps key paths ("hosts[1].backups[0].max_age") to where their key
// and value are written. go-toml/v2 reports positions only for decode
// errors, so validation of successfully decoded values looks them up here.
type posIndex struct {
	lineStarts []int
	keys       map[string]Pos
	vals       map[string]Pos
	// byKeyPos finds the indexed path of a key go-toml reported by
	// position (its own key paths carry no array indexes).
	byKeyPos map[Pos]string
}

// buildIndex walks the document with go-toml's AST parser. A syntax error
// stops the walk; the decoder reports that error itself.
func buildIndex(doc []byte) *posIndex {
	idx := &posIndex{
		keys:     map[string]Pos{},
		vals:     map[string]Pos{},
		byKeyPos: map[Pos]string{},
	}
	idx.lineStarts = append(idx.lineStarts, 0)
	for i, c := range doc {
		if c == '\n' {
			idx.lineStarts = append(idx.lineStarts, i+1)
		}
	}
	var p unstable.Parser
	p.Reset(doc)
	w := indexWalker{idx: idx, p: &p, arrays: map[string]int{}}
	for p.NextExpression() {
		w.expression(p.Expression())
	}
	return idx
}

// pos converts a byte offset to a line and byte column.
func (x *posIndex) pos(off int) Pos {
	line := sort.Search(len(x.lineStarts), func(i int) bool { return x.lineStarts[i] > off })
	return Pos{Line: line, Col: off - x.lineStarts[line-1] + 1}
}

// lookup returns the position of a value, else of its key, else of the
// nearest enclosing key that is written in the file (a missing key is
// reported where its table starts).
func (x *posIndex) lookup(path string) Pos {
	for {
		if p, ok := x.vals[path]; ok {
			return p
		}
		if p, ok := x.keys[path]; ok {
			return p
		}
		parent, ok := parentPath(path)
		if !ok {
			return Pos{}
		}
		path = parent
	}
}

// keyPos returns where the key itself is written, for problems about the key
// rather than its value (an unknown key, a key not allowed here).
func (x *posIndex) keyPos(path string) Pos {
	if p, ok := x.keys[path]; ok {
		return p
	}
	return x.lookup(path)
}

// parentPath strips the last ".key" or "[n]" from path.
func parentPath(path string) (string, bool) {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '.', '[':
			return path[:i], true
		case '"':
			// A quoted part may hold '.' or '[': skip to its opening quote.
			i = openingQuote(path, i)
		}
	}
	return "", false
}

// openingQuote finds the start of the strconv.Quote'd part that ends at end.
func openingQuote(path string, end int) int {
	for i := end - 1; i >= 0; i-- {
		if path[i] == '"' && (i == 0 || path[i-1] == '.') {
			return i
		}
	}
	return 0
}

var bareKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// joinKey appends one key part to a path, quoting parts that are not bare
// TOML keys so the path stays unambiguous (and free of control characters).
func joinKey(path, part string) string {
	if !bareKeyRE.MatchString(part) {
		part = strconv.Quote(part)
	}
	if path == "" {
		return part
	}
	return path + "." + part
}

// joinIndex appends an array index to a path.
func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// indexWalker keeps the state of the document walk: the current table and
// how many elements each array of tables has so far.
type indexWalker struct {
	idx    *posIndex
	p      *unstable.Parser
	table  string
	arrays map[string]int
}

func (w *indexWalker) expression(e *unstable.Node) {
	switch e.Kind {
	case unstable.Table, unstable.ArrayTable:
		it := e.Key()
		path, first := w.header(&it, e.Kind == unstable.ArrayTable)
		w.table = path
		w.recordKey(path, first, true)
	case unstable.KeyValue:
		w.keyValue(w.table, e)
	}
}

// header resolves a [table] or [[array]] key to an indexed path: parts that
// name an array of tables refer to its last element, and an [[array]] header
// starts a new element.
func (w *indexWalker) header(it *unstable.Iterator, isArray bool) (string, int) {
	path, first := "", -1
	for it.Next() {
		k := it.Node()
		if first < 0 {
			first = int(k.Raw.Offset)
		}
		path = joinKey(path, string(k.Data))
		n := w.arrays[path]
		switch {
		case isArray && it.IsLast():
			w.arrays[path] = n + 1
			path = joinIndex(path, n)
		case n > 0:
			path = joinIndex(path, n-1)
		}
	}
	return path, first
}

// keyValue records a (possibly dotted) key under table and its value.
func (w *indexWalker) keyValue(table string, kv *unstable.Node) {
	it := kv.Key()
	path, first, end := table, -1, 0
	for it.Next() {
		k := it.Node()
		if first < 0 {
			first = int(k.Raw.Offset)
		}
		end = int(k.Raw.Offset + k.Raw.Length)
		path = joinKey(path, string(k.Data))
		w.recordKey(path, first, it.IsLast())
	}
	w.value(path, kv.Value(), w.valueStart(end))
}

// recordKey notes where a key starts; the whole key of an expression wins
// the reverse lookup over its dotted prefixes.
func (w *indexWalker) recordKey(path string, off int, whole bool) {
	if off < 0 {
		return
	}
	pos := w.idx.pos(off)
	if _, ok := w.idx.keys[path]; !ok {
		w.idx.keys[path] = pos
	}
	if whole {
		w.idx.byKeyPos[pos] = path
	}
}

// valueStart finds the first byte of a value after its key: go-toml leaves
// Raw empty on arrays, so it cannot tell where they start.
func (w *indexWalker) valueStart(keyEnd int) int {
	doc := w.p.Data()
	i := keyEnd
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t') {
		i++
	}
	if i < len(doc) && doc[i] == '=' {
		i++
	}
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t') {
		i++
	}
	return i
}

// value records a value's position and, for arrays and inline tables, those
// of its elements.
func (w *indexWalker) value(path string, v *unstable.Node, off int) {
	if off >= 0 {
		w.idx.vals[path] = w.idx.pos(off)
	}
	switch v.Kind {
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			w.value(joinIndex(path, i), it.Node(), nodeStart(it.Node()))
		}
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if it.Node().Kind == unstable.KeyValue {
				w.keyValue(path, it.Node())
			}
		}
	}
}

// nodeStart is the offset of a value node inside an array, or -1 when
// go-toml did not record it (a nested array).
func nodeStart(n *unstable.Node) int {
	if n.Raw.Length == 0 {
		return -1
	}
	return int(n.Raw.Offset)
}
