package simfleet

import (
	"bytes"
	"errors"
	"testing"
)

func TestXDRWriter(t *testing.T) {
	s := "abcde"
	for _, tc := range []struct {
		name string
		enc  func(*xdrWriter)
		want []byte
	}{
		{"uint32", func(w *xdrWriter) { w.uint32(0x01020304) }, []byte{1, 2, 3, 4}},
		{"int32 negative", func(w *xdrWriter) { w.int32(-1) }, []byte{255, 255, 255, 255}},
		{"uint64", func(w *xdrWriter) { w.uint64(9000000) }, []byte{0, 0, 0, 0, 0, 0x89, 0x54, 0x40}},
		{"bool", func(w *xdrWriter) { w.bool(true); w.bool(false) }, []byte{0, 0, 0, 1, 0, 0, 0, 0}},
		{"string padded", func(w *xdrWriter) { w.string("abcde") }, []byte{0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0}},
		{"empty string", func(w *xdrWriter) { w.string("") }, []byte{0, 0, 0, 0}},
		{"fixed opaque", func(w *xdrWriter) { w.fixedOpaque([]byte{9, 9}) }, []byte{9, 9, 0, 0}},
		{"optional present", func(w *xdrWriter) { w.optString(&s) }, []byte{0, 0, 0, 1, 0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0}},
		{"optional absent", func(w *xdrWriter) { w.optString(nil) }, []byte{0, 0, 0, 0}},
		{"char array", func(w *xdrWriter) { w.charArray("x", 2) }, []byte{0, 0, 0, 'x', 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w xdrWriter
			tc.enc(&w)
			if !bytes.Equal(w.b, tc.want) {
				t.Errorf("got % x, want % x", w.b, tc.want)
			}
		})
	}
}

func TestXDRReader(t *testing.T) {
	var w xdrWriter
	w.int32(-7)
	w.uint64(1 << 40)
	w.string("hello")
	w.fixedOpaque([]byte{1, 2, 3})
	w.bool(true)
	r := &xdrReader{b: w.b}
	i, u, s, o, b := r.int32(), r.uint64(), r.string(10), r.fixedOpaque(3), r.bool()
	if err := r.end(); err != nil || i != -7 || u != 1<<40 || s != "hello" || !bytes.Equal(o, []byte{1, 2, 3}) || !b {
		t.Errorf("decoded %d %d %q % x %v, %v", i, u, s, o, b, err)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		read func(*xdrReader)
		want error
	}{
		{"short int", []byte{1, 2}, func(r *xdrReader) { r.uint32() }, errXDRShort},
		{"string longer than body", []byte{0, 0, 0, 9, 'a'}, func(r *xdrReader) { r.string(100) }, errXDRShort},
		{"huge string length", []byte{0xff, 0xff, 0xff, 0xff}, func(r *xdrReader) { r.string(100) }, nil},
		{"bad bool", []byte{0, 0, 0, 2}, func(r *xdrReader) { r.bool() }, errXDRBool},
		{"trailing bytes", []byte{0, 0, 0, 1, 0}, func(r *xdrReader) { r.uint32() }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &xdrReader{b: tc.in}
			tc.read(r)
			err := r.end()
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("end() = %v, want %v", err, tc.want)
			}
		})
	}
	// go-libvirt's ConnectOpen sends a padded [3]byte{1,0,0} as the
	// optional-string discriminant: it must count as present.
	r = &xdrReader{b: []byte{1, 0, 0, 0, 0, 0, 0, 1, 'q', 0, 0, 0}}
	if name, ok := r.optString(10); !ok || name != "q" || r.end() != nil {
		t.Errorf("go-libvirt's open discriminant: %q %v %v", name, ok, r.err)
	}
}
