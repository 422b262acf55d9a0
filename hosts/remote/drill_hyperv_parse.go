package remote

import (
	"encoding/json"
	"fmt"
	"strings"
)

// HyperVDrillFacts is HyperVDrillScript's answer.
type HyperVDrillFacts struct {
	Size, Free       int64
	Hash             string // lower case
	Sidecar          string // the sidecar's hash ("" when none or unreadable)
	SidecarBad       bool
	NoSidecar        bool
	TestVHD          *bool
	TestError        string
	CopyMs, VerifyMs int64 // -1 when not reached
	Fail, Error      string
}

// ParseHyperVDrill parses HyperVDrillScript's output.
func ParseHyperVDrill(out string) (HyperVDrillFacts, error) {
	var raw struct {
		Size, Free, Hash, Sidecar, NoSidecar, TestVHD, TestError, CopyMs, VerifyMs, Fail, Error json.RawMessage
	}
	f := HyperVDrillFacts{CopyMs: -1, VerifyMs: -1}
	if _, err := decodePSDoc(out, &raw); err != nil {
		return f, err
	}
	for _, n := range []struct {
		name string
		raw  json.RawMessage
		dst  *int64
	}{{"Size", raw.Size, &f.Size}, {"Free", raw.Free, &f.Free}, {"CopyMs", raw.CopyMs, &f.CopyMs}, {"VerifyMs", raw.VerifyMs, &f.VerifyMs}} {
		v, ok, err := psUint(n.raw)
		if err != nil || v > 1<<62 {
			return f, psFieldErr(n.name, fmt.Errorf("%w: %s", errPSType, psExcerpt(n.raw)))
		}
		if ok {
			*n.dst = int64(v)
		}
	}
	var sidecar string
	for _, t := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"Hash", raw.Hash, &f.Hash}, {"Sidecar", raw.Sidecar, &sidecar}, {"TestError", raw.TestError, &f.TestError},
		{"Fail", raw.Fail, &f.Fail}, {"Error", raw.Error, &f.Error}} {
		s, err := psString(t.raw)
		if err != nil {
			return f, psFieldErr(t.name, err)
		}
		*t.dst = s
	}
	f.Hash = strings.ToLower(strings.TrimSpace(f.Hash))
	if f.Hash != "" && !IsSHA256Hex(f.Hash) {
		return f, psFieldErr("Hash", fmt.Errorf("%w: not a sha256", errPSType))
	}
	f.TestError, f.Fail, f.Error = CleanLine(f.TestError), CleanLine(f.Fail), CleanLine(f.Error)
	if !psNull(raw.Sidecar) {
		h, err := ParseSidecar(sidecar)
		f.Sidecar, f.SidecarBad = h, err != nil
	}
	var err error
	if f.TestVHD, err = psBool(raw.TestVHD); err != nil {
		return f, psFieldErr("TestVHD", err)
	}
	nb, err := psBool(raw.NoSidecar)
	if err != nil {
		return f, psFieldErr("NoSidecar", err)
	}
	f.NoSidecar = nb != nil && *nb
	return f, nil
}
