package remote

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Readers for the JSON that PowerShell's ConvertTo-Json writes. Our scripts
// project enums to names, wrap lists in @() and write times as ISO 8601, but
// the readers also take what Windows PowerShell 5.1 writes when a value is
// not projected: enums as numbers, "\/Date(ms)\/" times (and DateTime
// objects carrying one in "value"), a single object where a list was
// expected, and an array wrapped as {"value":[...],"Count":n}.

// maxPSPreamble bounds the lines of non-JSON text (a WARNING: line, say)
// skipped before the document.
const maxPSPreamble = 20

// decodePSDoc decodes the one JSON document a Hyper-V script printed into v.
// A UTF-8 BOM and surrounding space are ignored, and up to maxPSPreamble
// lines that do not start a JSON object are skipped and returned, cleaned,
// as notes. Anything after the document is an error.
func decodePSDoc(out string, v any) (notes []string, err error) {
	s := strings.TrimPrefix(out, "\uFEFF")
	for i := 0; ; i++ {
		s = strings.TrimLeft(s, " \t\r\n")
		if strings.HasPrefix(s, "{") {
			break
		}
		if s == "" {
			return notes, fmt.Errorf("%w: no JSON document in the output", ErrUnparseable)
		}
		if i == maxPSPreamble {
			return notes, fmt.Errorf("%w: no JSON document in the first %d lines", ErrUnparseable, maxPSPreamble)
		}
		line, rest, _ := strings.Cut(s, "\n")
		notes, s = append(notes, CleanLine(line)), rest
	}
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		return notes, fmt.Errorf("%w: JSON: %w", ErrUnparseable, err)
	}
	if rest := strings.TrimSpace(s[dec.InputOffset():]); rest != "" {
		return notes, fmt.Errorf("%w: text after the JSON document", ErrUnparseable)
	}
	return notes, nil
}

// errPSType is returned when a JSON value has a type a field cannot take.
var errPSType = errors.New("unexpected JSON type")

// psNull reports whether raw is absent or JSON null.
func psNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// psList reads a list that PowerShell may have written as an array, a
// single object, null, or 5.1's {"value":[...],"Count":n} wrapper.
func psList(raw json.RawMessage) ([]json.RawMessage, error) {
	t := bytes.TrimSpace(raw)
	switch {
	case psNull(t):
		return nil, nil
	case t[0] == '[':
		var out []json.RawMessage
		if err := json.Unmarshal(t, &out); err != nil {
			return nil, err
		}
		return out, nil
	case t[0] != '{':
		return nil, fmt.Errorf("%w: want a list, got %s", errPSType, psExcerpt(t))
	}
	var wrapped map[string]json.RawMessage
	if err := json.Unmarshal(t, &wrapped); err != nil {
		return nil, err
	}
	if len(wrapped) == 2 {
		v, okV := psField(wrapped, "value")
		_, okC := psField(wrapped, "Count")
		if okV && okC && bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
			return psList(v)
		}
	}
	return []json.RawMessage{t}, nil
}

// psField looks a key up case-insensitively, as PowerShell names are.
func psField(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// psString reads a string; numbers and booleans are taken as their text
// and null as "".
func psString(raw json.RawMessage) (string, error) {
	t := bytes.TrimSpace(raw)
	switch {
	case psNull(t):
		return "", nil
	case t[0] == '"':
		var s string
		err := json.Unmarshal(t, &s)
		return s, err
	case t[0] == '{' || t[0] == '[':
		return "", fmt.Errorf("%w: want text, got %s", errPSType, psExcerpt(t))
	}
	var v any
	if err := json.Unmarshal(t, &v); err != nil {
		return "", err
	}
	return string(t), nil
}

// psNumber reads a number, also when written as a numeric string; ok is
// false for null.
func psNumber(raw json.RawMessage) (v float64, ok bool, err error) {
	t := bytes.TrimSpace(raw)
	if psNull(t) {
		return 0, false, nil
	}
	if t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return 0, false, err
		}
		t = []byte(strings.TrimSpace(s))
	}
	v, err = strconv.ParseFloat(string(t), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Errorf("%w: want a number, got %s", errPSType, psExcerpt(raw))
	}
	return v, true, nil
}

// psUint reads a non-negative whole number that fits in a uint64.
func psUint(raw json.RawMessage) (uint64, bool, error) {
	v, ok, err := psNumber(raw)
	if err != nil || !ok {
		return 0, ok, err
	}
	if v < 0 || v >= math.MaxUint64 || v != math.Trunc(v) {
		return 0, false, fmt.Errorf("%w: want a count, got %s", errPSType, psExcerpt(raw))
	}
	return uint64(v), true, nil
}

// psBool reads a boolean written as true/false, "True"/"False" or 0/1;
// nil means null (not known).
func psBool(raw json.RawMessage) (*bool, error) {
	t := bytes.TrimSpace(raw)
	var b bool
	switch strings.ToLower(strings.Trim(string(t), `"`)) {
	case "", "null":
		return nil, nil
	case "true", "1":
		b = true
	case "false", "0":
	default:
		return nil, fmt.Errorf("%w: want a boolean, got %s", errPSType, psExcerpt(t))
	}
	return &b, nil
}

// psEnum reads an enum written as its name or (5.1) its number. Names are
// looked up case-insensitively in names and returned in their canonical
// case; numbers are looked up in numbers. known is false for a name or a
// number outside the tables, and the text returned is then "N" or the
// name as written.
func psEnum(raw json.RawMessage, names []string, numbers map[int64]string) (name string, known bool, err error) {
	t := bytes.TrimSpace(raw)
	if psNull(t) {
		return "", false, nil
	}
	if t[0] == '"' {
		s, err := psString(t)
		if err != nil {
			return "", false, err
		}
		for _, n := range names {
			if strings.EqualFold(n, strings.TrimSpace(s)) {
				return n, true, nil
			}
		}
		return s, false, nil
	}
	v, _, err := psNumber(t)
	if err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		return "", false, fmt.Errorf("%w: want an enum, got %s", errPSType, psExcerpt(t))
	}
	if n, ok := numbers[int64(v)]; ok {
		return n, true, nil
	}
	return strconv.FormatInt(int64(v), 10), false, nil
}

// psTime reads a time: ISO 8601 (with or without a zone; none means UTC),
// "/Date(ms)/" or "/Date(ms+hhmm)/", or a 5.1 DateTime object holding one
// of those in "value". ok is false for null.
func psTime(raw json.RawMessage) (time.Time, bool, error) {
	t := bytes.TrimSpace(raw)
	if psNull(t) {
		return time.Time{}, false, nil
	}
	if t[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(t, &m); err != nil {
			return time.Time{}, false, err
		}
		v, ok := psField(m, "value")
		if !ok || bytes.HasPrefix(bytes.TrimSpace(v), []byte("{")) {
			return time.Time{}, false, fmt.Errorf("%w: want a time, got %s", errPSType, psExcerpt(t))
		}
		return psTime(v)
	}
	s, err := psString(t)
	if err != nil || t[0] != '"' {
		return time.Time{}, false, fmt.Errorf("%w: want a time, got %s", errPSType, psExcerpt(t))
	}
	tm, err := parsePSTime(strings.TrimSpace(s))
	return tm, err == nil, err
}

// psTimeLayouts are the ISO 8601 shapes .ToString('o') and ConvertTo-Json
// write (7 fractional digits, with or without a zone).
var psTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"}

func parsePSTime(s string) (time.Time, error) {
	if body, ok := strings.CutPrefix(s, "/Date("); ok {
		return parseMSDate(body)
	}
	for _, l := range psTimeLayouts {
		if tm, err := time.Parse(l, s); err == nil {
			return tm, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: want a time, got %q", errPSType, CleanLine(psShort(s)))
}

// parseMSDate reads the inside of /Date(ms)/ or /Date(ms+hhmm)/: ms is UTC
// milliseconds since the epoch; the offset only says where it was written.
func parseMSDate(body string) (time.Time, error) {
	body, ok := strings.CutSuffix(body, ")/")
	if !ok || body == "" {
		return time.Time{}, fmt.Errorf("%w: bad /Date()/ value", errPSType)
	}
	digits := body
	if i := strings.IndexAny(body[1:], "+-"); i >= 0 {
		digits = body[:i+1]
		if off := body[i+1:]; len(off) != 5 || strings.Trim(off[1:], "0123456789") != "" {
			return time.Time{}, fmt.Errorf("%w: bad /Date()/ offset", errPSType)
		}
	}
	ms, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || ms > 1<<52 || ms < -(1<<52) {
		return time.Time{}, fmt.Errorf("%w: bad /Date()/ value", errPSType)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// psExcerpt is a short, cleaned quote of raw JSON for error messages.
func psExcerpt(raw []byte) string { return strconv.Quote(CleanLine(psShort(string(raw)))) }

func psShort(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
