package hosts

import (
	"reflect"
	"slices"
	"strings"
)

// assignRaw fills raw from a leniently decoded document, the second pass
// used once strict decoding stopped at a wrong type. It reports every value
// of the wrong type and every unknown key, and leaves such keys unset.
func assignRaw(raw *rawConfig, doc map[string]any, ps *problems) {
	assignTable(reflect.ValueOf(raw).Elem(), doc, "", ps)
}

// assign stores val into dst (a field of a raw struct) or reports why it
// cannot. It returns false when val had the wrong type somewhere.
func assign(dst reflect.Value, val any, path string, ps *problems) bool {
	if dst.Kind() == reflect.Pointer {
		elem := reflect.New(dst.Type().Elem())
		ok := assign(elem.Elem(), val, path, ps)
		if k := elem.Elem().Kind(); ok || k == reflect.Slice || k == reflect.Map {
			dst.Set(elem) // a slice or map keeps its good elements, see assignSlice
		}
		return ok
	}
	switch dst.Kind() {
	case reflect.String:
		s, ok := val.(string)
		if ok {
			dst.SetString(s)
		}
		return ps.typeOK(ok, path, "a string", val)
	case reflect.Bool:
		b, ok := val.(bool)
		if ok {
			dst.SetBool(b)
		}
		return ps.typeOK(ok, path, "true or false", val)
	case reflect.Int:
		n, ok := val.(int64)
		if ok {
			dst.SetInt(n)
		}
		return ps.typeOK(ok, path, "an integer", val)
	case reflect.Float64:
		f, ok := val.(float64)
		if n, isInt := val.(int64); isInt {
			f, ok = float64(n), true
		}
		if ok {
			dst.SetFloat(f)
		}
		return ps.typeOK(ok, path, "a number", val)
	case reflect.Slice:
		return assignSlice(dst, val, path, ps)
	case reflect.Map:
		return assignMap(dst, val, path, ps)
	case reflect.Struct:
		m, ok := val.(map[string]any)
		if !ok {
			return ps.typeOK(false, path, "a table", val)
		}
		assignTable(dst, m, path, ps)
		return true
	}
	return ps.typeOK(false, path, dst.Type().String(), val)
}

// assignSlice fills a slice element by element, reporting every bad element.
func assignSlice(dst reflect.Value, val any, path string, ps *problems) bool {
	arr, ok := val.([]any)
	if !ok {
		return ps.typeOK(false, path, "an array", val)
	}
	// A bad element stays zero and is marked in ps.bad, so the good ones are
	// still validated at their own index.
	out := reflect.MakeSlice(dst.Type(), len(arr), len(arr))
	good := true
	for i, v := range arr {
		if !assign(out.Index(i), v, joinIndex(path, i), ps) {
			good = false
		}
	}
	dst.Set(out)
	return good
}

// assignMap fills a map of strings (a table of labels), reporting every
// value of the wrong type.
func assignMap(dst reflect.Value, val any, path string, ps *problems) bool {
	m, ok := val.(map[string]any)
	if !ok {
		return ps.typeOK(false, path, "a table", val)
	}
	out := reflect.MakeMapWithSize(dst.Type(), len(m))
	good := true
	for k, v := range m {
		elem := reflect.New(dst.Type().Elem()).Elem()
		if assign(elem, v, joinKey(path, k), ps) {
			out.SetMapIndex(reflect.ValueOf(k), elem)
		} else {
			good = false
		}
	}
	dst.Set(out)
	return good
}

// assignTable fills a struct from a table in key order (so problems come
// out deterministically), reporting keys the struct has no field for.
func assignTable(dst reflect.Value, m map[string]any, path string, ps *problems) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kp := joinKey(path, k)
		f, ok := fieldByTag(dst, k)
		if !ok {
			ps.list = append(ps.list, Problem{Pos: ps.idx.keyPos(kp), KeyPath: kp, Reason: unknownKeyReason(kp, k)})
			continue
		}
		assign(f, m[k], kp, ps)
	}
}

// fieldByTag finds the field tagged `toml:"key"`, looking into embedded
// structs as go-toml does.
func fieldByTag(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			if f, ok := fieldByTag(v.Field(i), key); ok {
				return f, true
			}
			continue
		}
		if name, _, _ := strings.Cut(sf.Tag.Get("toml"), ","); name == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// typeOK reports a wrong type unless ok, and returns ok.
func (ps *problems) typeOK(ok bool, path, want string, got any) bool {
	if !ok {
		ps.at(path, "wrong type: want "+want+", got "+tomlKind(got))
	}
	return ok
}

// tomlKind names the TOML type of a leniently decoded value.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}
