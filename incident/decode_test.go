package incident

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDecodeSkipsWhatIsNotARecord(t *testing.T) {
	good := `{"time":"2026-11-27T02:00:00Z","kind":"status","host":"b","to":"CRIT"}`
	in := strings.Join([]string{
		good,
		`{"time":"2026-11-27T02:00:00Z","kind":"status","host":"b","to":"BAD"}`, // unknown status
		`{"time":"2026-11-27T02:00:00Z","kind":"what","host":"b"}`,              // unknown kind
		`{"kind":"ack","host":"b"}`,                                             // no time
		`not json`,
		``,
		`{"time":"2026-11-27T02:00:00Z","kind":"ack","host":"` + strings.Repeat("x", maxLine) + `"}`, // too long
		good,
		`{"time":"2026-11-27T02:00:00Z","kind":"ack","ho`, // torn by a crash
	}, "\n")
	d, err := Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Records) != 2 || d.Skipped != 6 {
		t.Errorf("%d records, %d skipped; want 2 and 6", len(d.Records), d.Skipped)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-27T02:00:00Z","kind":"status","host":"b","from":"OK","to":"CRIT","cause":"x"}` + "\n"))
	f.Add([]byte(`{"time":"2026-11-27T02:00:00Z","kind":"ack","host":"b","owner":"al","expires":"2026-11-27T04:00:00Z"}`))
	f.Add([]byte(`{"time":"2026-11-27T02:00:00Z","kind":"action","host":"b","action":"vm-start","phase":"outcome","outcome":"ok","args":["web"]}` + "\n\n\x00"))
	f.Add([]byte(strings.Repeat("x", maxLine+10) + "\n{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if lines := bytes.Count(b, []byte("\n")) + 1; len(d.Records)+d.Skipped > lines {
			t.Fatalf("%d records and %d skipped from %d lines", len(d.Records), d.Skipped, lines)
		}
		for _, r := range d.Records {
			if r.Host == "" || r.Time.IsZero() {
				t.Fatalf("record without host or time: %+v", r)
			}
		}
		rep := NewReport(d.Records, BuildOptions{}, time.Time{})
		var out bytes.Buffer
		if err := rep.WriteMarkdown(&out); err != nil {
			t.Fatal(err)
		}
		if err := rep.WriteTable(&out); err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsAny(out.Bytes(), "\x1b\u202e") {
			t.Fatalf("rendered a control character: %q", out.String())
		}
	})
}
