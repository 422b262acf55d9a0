package remote

import (
	"errors"
	"testing"
	"time"
)

// systemctl show's answers as a Debian 12 host (systemd 252) printed them:
// properties in systemd's own order, a blank line between units, 0 for an
// event that did not happen since boot.
const (
	timesFailed = "7260.51 14220.03\n" +
		"InactiveEnterTimestampMonotonic=7200400000\n" +
		"ActiveExitTimestampMonotonic=7200100000\n"
	timesTwoUnits = "100.00 150.00\n" +
		"InactiveEnterTimestampMonotonic=0\n" +
		"ActiveExitTimestampMonotonic=0\n" +
		"\n" +
		"InactiveEnterTimestampMonotonic=40000000\n" +
		"ActiveExitTimestampMonotonic=0\n"
)

func TestParseUnitTimes(t *testing.T) {
	tests := []struct {
		name  string
		units []string
		out   string
		want  *HostTimes
	}{
		{"failed unit", []string{"libvirtd"}, timesFailed, &HostTimes{Uptime: 7260510 * time.Millisecond,
			Units: []UnitTimes{{"libvirtd", 7200100 * time.Millisecond, 7200400 * time.Millisecond}}}},
		{"two units", []string{"libvirtd", "virtlogd"}, timesTwoUnits, &HostTimes{Uptime: 100 * time.Second,
			Units: []UnitTimes{{Unit: "libvirtd"}, {Unit: "virtlogd", InactiveEnter: 40 * time.Second}}}},
		{"empty", []string{"libvirtd"}, "", nil},
		{"no blocks", []string{"libvirtd"}, "12.00 3.00\n", nil},
		{"block missing a property", []string{"libvirtd"}, "12.00 3.00\nActiveExitTimestampMonotonic=1\n", nil},
		{"property twice", []string{"libvirtd"}, "12.00 3.00\nActiveExitTimestampMonotonic=1\nActiveExitTimestampMonotonic=1\n", nil},
		{"one block for two units", []string{"a", "b"}, timesFailed, nil},
		{"extra block", []string{"libvirtd"}, timesTwoUnits, nil},
		{"foreign key", []string{"libvirtd"}, "12.00 3.00\nExecStart=/bin/sh\nActiveExitTimestampMonotonic=1\n", nil},
		{"negative", []string{"libvirtd"}, "12.00 3.00\nActiveExitTimestampMonotonic=-1\nInactiveEnterTimestampMonotonic=1\n", nil},
		{"huge stamp", []string{"libvirtd"}, "12.00 3.00\nActiveExitTimestampMonotonic=99999999999999999999\nInactiveEnterTimestampMonotonic=1\n", nil},
		{"bad uptime", []string{"libvirtd"}, "1e9 3\nActiveExitTimestampMonotonic=1\nInactiveEnterTimestampMonotonic=1\n", nil},
		{"a formatted date, not microseconds", []string{"libvirtd"},
			"12.00 3.00\nActiveExitTimestampMonotonic=Fri 2026-11-27 06:00:00 UTC\nInactiveEnterTimestampMonotonic=1\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUnitTimes(tt.units, tt.out)
			wantParsed(t, got, err, tt.want)
		})
	}
}

// DownFor is the host's own age of the failure: ActiveExit first (when the
// unit began to fail), InactiveEnter for a unit that never left active by
// that path; unknown when the host has no stamp or one beyond its clock.
func TestUnitTimesDownFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		out   string
		units []string
		down  []string
		want  time.Duration
		ok    bool
	}{
		{"active exit", timesFailed, []string{"libvirtd"}, []string{"libvirtd"}, 60410 * time.Millisecond, true},
		{"inactive enter only", timesTwoUnits, []string{"libvirtd", "virtlogd"}, []string{"virtlogd"}, 60 * time.Second, true},
		{"never ran since boot", timesTwoUnits, []string{"libvirtd", "virtlogd"}, []string{"libvirtd"}, 0, false},
		{"no unit down", timesFailed, []string{"libvirtd"}, nil, 0, false},
		{"stamp after the clock", "1.00 1.00\nActiveExitTimestampMonotonic=5000000\nInactiveEnterTimestampMonotonic=0\n",
			[]string{"libvirtd"}, []string{"libvirtd"}, 0, false},
		{"stamp within the clock's 10 ms tick: just now", "1.00 1.00\nActiveExitTimestampMonotonic=1004000\nInactiveEnterTimestampMonotonic=0\n",
			[]string{"libvirtd"}, []string{"libvirtd"}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ht, err := ParseUnitTimes(tc.units, tc.out)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := ht.DownFor(tc.down)
			if got != tc.want || ok != tc.ok {
				t.Errorf("DownFor = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseUnitTimes(f *testing.F) {
	f.Add(timesFailed, 1)
	f.Add(timesTwoUnits, 2)
	f.Add("\x00\n\n\n=", 3)
	f.Add("1 2\nActiveExitTimestampMonotonic=18446744073709551615\n", 1)
	f.Fuzz(func(t *testing.T, out string, n int) {
		units := []string{"a", "b", "c", "d"}[:1+abs(n)%4]
		ht, err := ParseUnitTimes(units, out)
		if err != nil {
			if !errors.Is(err, ErrUnparseable) {
				t.Fatalf("error not ErrUnparseable: %v", err)
			}
			return
		}
		if len(ht.Units) != len(units) || ht.Uptime < 0 || ht.Uptime > maxUptime {
			t.Fatalf("parsed %+v for %d units", ht, len(units))
		}
		if age, ok := ht.DownFor(units); ok && (age < 0 || age > ht.Uptime) {
			t.Fatalf("age %v beyond uptime %v", age, ht.Uptime)
		}
	})
}

func TestUnitStateCommands(t *testing.T) {
	for _, tc := range []struct {
		name   string
		units  []string
		active string
		times  string
		bad    bool
	}{
		{"one unit", []string{"libvirtd"}, "systemctl is-active -- 'libvirtd'",
			"cat /proc/uptime && systemctl show -p ActiveExitTimestampMonotonic -p InactiveEnterTimestampMonotonic -- 'libvirtd'", false},
		{"two units", []string{"libvirtd", "virtqemud.socket"}, "systemctl is-active -- 'libvirtd' 'virtqemud.socket'",
			"cat /proc/uptime && systemctl show -p ActiveExitTimestampMonotonic -p InactiveEnterTimestampMonotonic -- 'libvirtd' 'virtqemud.socket'", false},
		{"a unit that is not a name", []string{"libvirtd; reboot"}, "", "", true},
		{"no units", nil, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			active, times, err := UnitStateCommands(tc.units)
			if (err != nil) != tc.bad || active != tc.active || times != tc.times {
				t.Errorf("UnitStateCommands(%q) = %q, %q, %v", tc.units, active, times, err)
			}
		})
	}
}
