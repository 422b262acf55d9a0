package simfleet

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A small XDR (RFC 4506) encoder and decoder for exactly the types the
// simulated libvirt daemon needs. go-libvirt's own encoder lives in an
// internal package and cannot be imported; the round-trip tests prove this
// one against the real go-libvirt client.

// errXDRShort is returned when a body ends before a value is complete.
var errXDRShort = errors.New("simfleet: xdr: body too short")

// errXDRBool is returned for a boolean discriminant other than 0 or 1.
var errXDRBool = errors.New("simfleet: xdr: bad boolean")

// xdrWriter appends XDR values to a byte slice.
type xdrWriter struct{ b []byte }

func (w *xdrWriter) uint32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *xdrWriter) int32(v int32)   { w.uint32(uint32(v)) }
func (w *xdrWriter) uint64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }

// bool writes an XDR boolean (also an optional-data discriminant).
func (w *xdrWriter) bool(v bool) {
	if v {
		w.uint32(1)
		return
	}
	w.uint32(0)
}

// fixedOpaque writes opaque[n] data padded to a multiple of four bytes.
func (w *xdrWriter) fixedOpaque(p []byte) {
	w.b = append(w.b, p...)
	for i := len(p); i%4 != 0; i++ {
		w.b = append(w.b, 0)
	}
}

// string writes a counted, padded string.
func (w *xdrWriter) string(s string) {
	w.uint32(uint32(len(s)))
	w.fixedOpaque([]byte(s))
}

// optString writes libvirt's remote_string: an optional string.
func (w *xdrWriter) optString(s *string) {
	w.bool(s != nil)
	if s != nil {
		w.string(*s)
	}
}

// charArray writes a C "char x[n]" as XDR does: one int per element,
// zero-filled after s (NodeGetInfo's model).
func (w *xdrWriter) charArray(s string, n int) {
	for i := 0; i < n; i++ {
		var c int32
		if i < len(s) {
			c = int32(int8(s[i]))
		}
		w.int32(c)
	}
}

// writeList writes the reply of a libvirt list procedure {T items<>; u_int
// count}: the items only when the caller asked for them (need_results or
// nparams non-zero; zero asks for the count alone), then how many there are.
func writeList[T any](w *xdrWriter, need int32, items []T, enc func(*xdrWriter, T)) {
	if need == 0 {
		w.uint32(0)
	} else {
		w.uint32(uint32(len(items)))
		for _, it := range items {
			enc(w, it)
		}
	}
	w.uint32(uint32(len(items)))
}

// writeNamed writes the {name, uuid} that starts libvirt's
// remote_nonnull_domain and is the whole of remote_nonnull_network and
// remote_nonnull_storage_pool.
func writeNamed(w *xdrWriter, name string, uuid [16]byte) {
	w.string(name)
	w.fixedOpaque(uuid[:])
}

// xdrReader consumes XDR values from a body. The first error sticks: later
// reads return zero values, so a decoder checks err once at the end.
type xdrReader struct {
	b   []byte
	err error
}

func (r *xdrReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errXDRShort
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *xdrReader) uint32() uint32 {
	p := r.take(4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (r *xdrReader) int32() int32 { return int32(r.uint32()) }

func (r *xdrReader) uint64() uint64 {
	p := r.take(8)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

// bool reads a strict XDR boolean.
func (r *xdrReader) bool() bool {
	v := r.uint32()
	if v > 1 && r.err == nil {
		r.err = errXDRBool
	}
	return v == 1
}

// present reads an optional-data discriminant the way libvirt's C decoder
// (glibc xdr_bool) does: any non-zero value means present. go-libvirt's
// ConnectOpen sends 0x01000000 there (a padded [3]byte), so strictness
// would refuse the real client.
func (r *xdrReader) present() bool { return r.uint32() != 0 }

// fixedOpaque reads opaque[n] and its padding.
func (r *xdrReader) fixedOpaque(n int) []byte {
	p := r.take(n)
	r.take((4 - n%4) % 4)
	return p
}

// string reads a counted string of at most max bytes.
func (r *xdrReader) string(max int) string {
	n := r.uint32()
	if r.err != nil {
		return ""
	}
	if n > uint32(max) {
		r.err = fmt.Errorf("simfleet: xdr: string of %d bytes exceeds %d", n, max)
		return ""
	}
	return string(r.fixedOpaque(int(n)))
}

// optString reads libvirt's remote_string.
func (r *xdrReader) optString(max int) (string, bool) {
	if !r.present() {
		return "", false
	}
	return r.string(max), r.err == nil
}

// end reports the sticky error, or an error if bytes are left over.
func (r *xdrReader) end() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("simfleet: xdr: %d trailing bytes", len(r.b))
	}
	return nil
}
