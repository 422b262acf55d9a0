package remote

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPSQuirkReaders(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{`"2026-11-26T02:00:05.1234567Z"`, time.Date(2026, 11, 26, 2, 0, 5, 123456700, time.UTC), true},
		{`"2026-11-26T03:00:05.0000000+01:00"`, time.Date(2026, 11, 26, 2, 0, 5, 0, time.UTC), true},
		{`"2026-11-26T02:00:05"`, time.Date(2026, 11, 26, 2, 0, 5, 0, time.UTC), true},
		{`"\/Date(1795658400000)\/"`, time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC), true},
		{`"/Date(1795658400000+0100)/"`, time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC), true},
		{`{"value":"\/Date(1795658400000)\/","DisplayHint":2}`, time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC), true},
		{`null`, time.Time{}, false},
		{`"/Date(abc)/"`, time.Time{}, false},
		{`"yesterday"`, time.Time{}, false},
		{`12`, time.Time{}, false},
	} {
		got, ok, err := psTime([]byte(tc.in))
		if ok != tc.ok || !got.Equal(tc.want) || (err == nil) != (tc.ok || tc.in == "null") {
			t.Errorf("psTime(%s) = %v, %v, %v", tc.in, got, ok, err)
		}
	}
	for _, tc := range []struct {
		in string
		n  int
	}{{`null`, 0}, {`[]`, 0}, {`{"a":1}`, 1}, {`[{"a":1},{"a":2}]`, 2}, {`{"value":[1,2,3],"Count":3}`, 3}, {`{"value":1,"Count":1}`, 1}} {
		got, err := psList([]byte(tc.in))
		if err != nil || len(got) != tc.n {
			t.Errorf("psList(%s) = %d items, %v; want %d", tc.in, len(got), err, tc.n)
		}
	}
	if _, err := psList([]byte(`"x"`)); err == nil {
		t.Error("psList accepted a string")
	}
	for _, tc := range []struct {
		in    string
		name  string
		known bool
	}{{`"running"`, "Running", true}, {`4`, "Running", true}, {`99`, "99", false}, {`"Weird"`, "Weird", false}, {`null`, "", false}} {
		name, known, err := psEnum([]byte(tc.in), serviceStatusNames, serviceStatusNumbers)
		if err != nil || name != tc.name || known != tc.known {
			t.Errorf("psEnum(%s) = %q, %v, %v", tc.in, name, known, err)
		}
	}
	if _, _, err := psEnum([]byte(`4.5`), serviceStatusNames, serviceStatusNumbers); err == nil {
		t.Error("psEnum accepted 4.5")
	}
}

func TestDecodePSDocRefuses(t *testing.T) {
	var v struct{ A int }
	for _, in := range []string{"", "   \r\n", "not json", `{"A":1} {"A":2}`, `{"A":1} trailing`, `{"A":`,
		strings.Repeat("noise\n", maxPSPreamble+1) + `{"A":1}`} {
		if _, err := decodePSDoc(in, &v); !errors.Is(err, ErrUnparseable) {
			t.Errorf("decodePSDoc(%q) = %v, want ErrUnparseable", in, err)
		}
	}
}
