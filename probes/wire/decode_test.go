package wire

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/probes"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func sampleReport() probes.HostReport {
	return probes.HostReport{Host: "kvm1", Address: "10.0.0.1", Kind: "libvirt", Version: "libvirt 9.0.0",
		Tags: []string{"rack-a"}, Status: probes.CRIT, Time: t0,
		Checks: []probes.Result{
			{Host: "kvm1", Check: "ssh", Status: probes.OK, Summary: "ok", Latency: 1500 * time.Microsecond, Time: t0},
			{Host: "kvm1", Check: "hypervisor", Status: probes.CRIT, Summary: "hypervisor not running", Details: "a\nb", Time: t0,
				Since: t0.Add(-7 * time.Minute)}},
		VMs: []probes.VM{{Name: "web", State: "paused", Reason: "ioerror", Status: probes.WARN}},
	}
}

func TestReportRoundTrip(t *testing.T) {
	rep := sampleReport()
	line, err := json.Marshal(Message{Type: TypeReport, Time: t0, Host: new(FromReport(rep))})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewDecoder(strings.NewReader(string(line) + "\n")).Next()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, m.Host.Report()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// A summary crosses the attach stream whole, as check --json prints it:
// an attached console never shows less than a local one.
func TestReportKeepsLongSummary(t *testing.T) {
	h := FromReport(sampleReport())
	long := strings.TrimSuffix(strings.Repeat("libvirtd-unit-with-a-long-name inactive, ", 40), ", ")
	h.Checks[1].Summary = long
	if got := h.Report().Checks[1].Summary; got != long {
		t.Errorf("summary cut to %d of %d bytes", len(got), len(long))
	}
}

func TestReportCleansRemoteText(t *testing.T) {
	h := FromReport(sampleReport())
	h.Checks[1].Summary = "evil\x1b]0;title\x07 text"
	h.VMs[0].Name = "vm\x1b[2J"
	r := h.Report()
	if strings.ContainsAny(r.Checks[1].Summary+r.VMs[0].Name, "\x1b\x07") {
		t.Errorf("control characters survived: %q %q", r.Checks[1].Summary, r.VMs[0].Name)
	}
}

func TestDecoderStream(t *testing.T) {
	in := `{"type":"heartbeat","time":"2026-11-27T03:00:00Z"}

{"type":"snapshot","time":"2026-11-27T03:00:00Z","snapshot":{"time":"2026-11-27T03:00:00Z","ready":true,"status":"OK","hosts":[{"name":"a","address":"","status":"OK","checks":[],"vms":[]}]}}
{"type":"report","time":"2026-11-27T03:00:00Z","host":{"name":"a","address":"","status":"CRIT","checks":[],"vms":[]}}
`
	d := NewDecoder(strings.NewReader(in))
	var types []string
	for {
		m, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, m.Type)
	}
	if diff := cmp.Diff([]string{"heartbeat", "snapshot", "report"}, types); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDecoderRejects(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"not json", "hello\n", ErrInvalid},
		{"unknown type", `{"type":"exec"}` + "\n", ErrInvalid},
		{"report without host", `{"type":"report"}` + "\n", ErrInvalid},
		{"snapshot without snapshot", `{"type":"snapshot"}` + "\n", ErrInvalid},
		{"host without name", `{"type":"report","host":{"status":"OK"}}` + "\n", ErrInvalid},
		{"bad status", `{"type":"report","host":{"name":"a","status":"FINE"}}` + "\n", ErrInvalid},
		{"duplicate host", `{"type":"snapshot","snapshot":{"hosts":[{"name":"a","status":"OK"},{"name":"a","status":"OK"}]}}` + "\n", ErrInvalid},
		{"cut off", `{"type":"heartbeat"`, io.ErrUnexpectedEOF},
		{"too long", `{"type":"heartbeat","x":"` + strings.Repeat("x", MaxMessage) + `"}` + "\n", ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewDecoder(strings.NewReader(tc.in)).Next(); !errors.Is(err, tc.want) {
				t.Errorf("Next = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzDecoder: any bytes give messages or an error, never a panic; every
// message it accepts is valid and converts to a report without control
// characters.
func FuzzDecoder(f *testing.F) {
	line, _ := json.Marshal(Message{Type: TypeReport, Time: t0, Host: new(FromReport(sampleReport()))})
	f.Add(string(line) + "\n")
	f.Add(`{"type":"heartbeat","time":"2026-11-27T03:00:00Z"}` + "\n")
	f.Add(`{"type":"snapshot","snapshot":{"hosts":[{"name":"a","status":"OK","events":[{"check":"ssh"}]}]}}` + "\n")
	f.Add("\n\n{\"type\":\"report\",\"host\":{\"name\":\"\\u001b\",\"status\":\"WARN\",\"vms\":[{\"name\":\"v\",\"rating\":\"CRIT\"}]}}\n")
	f.Fuzz(func(t *testing.T, in string) {
		d := NewDecoder(strings.NewReader(in))
		for range 64 {
			m, err := d.Next()
			if err != nil {
				return
			}
			if m.validate() != nil {
				t.Fatalf("accepted an invalid message %+v", m)
			}
			var hs []Host
			if m.Host != nil {
				hs = append(hs, *m.Host)
			}
			if m.Snapshot != nil {
				hs = append(hs, m.Snapshot.Hosts...)
			}
			for _, h := range hs {
				r := h.Report()
				for _, c := range r.Checks {
					if strings.ContainsAny(r.Host+c.Summary+c.Check, "\x1b\x07\r\n") {
						t.Fatalf("control characters in %q", r.Host+c.Summary)
					}
				}
			}
		}
	})
}
