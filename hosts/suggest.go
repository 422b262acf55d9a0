package hosts

import (
	"reflect"
	"regexp"
	"strings"
)

// nearest returns the candidate closest to word by edit distance, when it
// is close enough to be a typo (at most a third of the word, at least 1),
// or "".
func nearest(word string, candidates []string) string {
	best, bestD := "", len(word)/3+1
	if bestD < 2 {
		bestD = 2
	}
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance; words longer than 64 bytes are
// not compared (a name that long is no typo of a short one).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean words a suggestion, or "" without one.
func didYouMean(word string, candidates []string) string {
	if n := nearest(word, candidates); n != "" && n != word {
		return ": did you mean " + quote(n) + "?"
	}
	return ""
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// keysAt lists the keys the config allows in the table holding the key at
// path (e.g. "hosts[2].adress" -> the keys of a [[hosts]] entry), read from
// the raw structs' toml tags so the list never drifts from the decoder.
func keysAt(path string) []string {
	parts := strings.Split(indexRE.ReplaceAllString(path, ""), ".")
	t := reflect.TypeOf(rawConfig{})
	for _, p := range parts[:len(parts)-1] {
		f, ok := fieldTypeByTag(t, p)
		if !ok {
			return nil
		}
		t = f
	}
	return tagsOf(t)
}

// fieldTypeByTag finds the struct type under key in t (through pointers,
// slices and embedded structs).
func fieldTypeByTag(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			if ft, ok := fieldTypeByTag(sf.Type, key); ok {
				return ft, true
			}
			continue
		}
		if name, _, _ := strings.Cut(sf.Tag.Get("toml"), ","); name == key {
			ft := sf.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			return ft, ft.Kind() == reflect.Struct
		}
	}
	return nil, false
}

func tagsOf(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			out = append(out, tagsOf(sf.Type)...)
			continue
		}
		if name, _, _ := strings.Cut(sf.Tag.Get("toml"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
