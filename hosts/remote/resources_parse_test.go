package remote

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLoadAvg(t *testing.T) {
	tests := []struct {
		in   string
		want LoadAvg
		ok   bool
	}{
		{"0.66 1.48 2.07 2/428 8054\n", LoadAvg{0.66, 1.48, 2.07}, true},
		{"12.00 0.00 0 1/1 1", LoadAvg{12, 0, 0}, true},
		{"", LoadAvg{}, false},
		{"0.66 1.48 2.07\n", LoadAvg{}, false},
		{"0.66 1.48 2.07 2/428 8054\n0.1 0.1 0.1 1/1 1\n", LoadAvg{}, false},
		{"-1 1 1 1/1 1", LoadAvg{}, false},
		{"NaN 1 1 1/1 1", LoadAvg{}, false},
		{"1e9 1 1 1/1 1", LoadAvg{}, false},
		{"9999999 1 1 1/1 1", LoadAvg{}, false},
		{"1 1 1 11 1", LoadAvg{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLoadAvg(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Errorf("ParseLoadAvg(%q) = %+v, %v", tc.in, got, err)
			}
			if err != nil && !errors.Is(err, ErrUnparseable) {
				t.Errorf("error %v is not ErrUnparseable", err)
			}
		})
	}
}

func TestParseMemInfo(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want MemInfo
		ok   bool
	}{
		{"modern", "MemTotal:       16000 kB\nMemFree:  1000 kB\nMemAvailable:   8000 kB\nHugePages_Total:       0\n",
			MemInfo{Total: 16000 * 1024, Available: 8000 * 1024}, true},
		{"old kernel", "MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 20 kB\n", MemInfo{Total: 102400, Available: 35 * 1024}, true},
		{"available above total is capped", "MemTotal: 100 kB\nMemAvailable: 200 kB\n", MemInfo{Total: 102400, Available: 102400}, true},
		{"no total", "MemFree: 10 kB\nMemAvailable: 5 kB\n", MemInfo{}, false},
		{"zero total", "MemTotal: 0 kB\nMemAvailable: 0 kB\n", MemInfo{}, false},
		{"old kernel missing cached", "MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\n", MemInfo{}, false},
		{"bad unit", "MemTotal: 100 MB\nMemAvailable: 5 kB\n", MemInfo{}, false},
		{"bad number", "MemTotal: -1 kB\n", MemInfo{}, false},
		{"overflow", "MemTotal: 18446744073709551615 kB\n", MemInfo{}, false},
		{"no colon", "MemTotal 100 kB\n", MemInfo{}, false},
		{"empty", "", MemInfo{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMemInfo(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Errorf("ParseMemInfo = %+v, %v; want %+v", got, err, tc.want)
			}
			if err != nil && !errors.Is(err, ErrUnparseable) {
				t.Errorf("error %v is not ErrUnparseable", err)
			}
		})
	}
}

func TestParseDiskUsage(t *testing.T) {
	paths := []string{"/var/lib/libvirt/images", "/srv/vm images"}
	tests := []struct {
		name    string
		paths   []string
		out     string
		exit    int
		want    []DiskUse
		wantErr error
	}{
		{"two paths in order", paths,
			dfHeader + "/dev/vda1 270553174016 13277630464 84515663872 14% /\n/dev/mapper/vg-srv 1000 999 1 100% /srv/vm images\n", 0,
			[]DiskUse{
				{Path: paths[0], Filesystem: "/dev/vda1", Mount: "/", Total: 270553174016, Used: 13277630464, Avail: 84515663872, UsedPct: 14},
				{Path: paths[1], Filesystem: "/dev/mapper/vg-srv", Mount: "/srv/vm images", Total: 1000, Used: 999, Avail: 1, UsedPct: 100},
			}, nil},
		{"filesystem name with spaces, capacity dash", paths[:1], dfHeader + "my fs 0 0 0 - /x\n", 0,
			[]DiskUse{{Path: paths[0], Filesystem: "my fs", Mount: "/x"}}, nil},
		{"a path missing", paths, dfHeader + "/dev/vda1 1000 500 500 50% /\n", 1,
			[]DiskUse{{Filesystem: "/dev/vda1", Mount: "/", Total: 1000, Used: 500, Avail: 500, UsedPct: 50}}, ErrDiskMissing},
		{"every path missing", paths, "", 1, nil, ErrDiskMissing},
		{"more lines than paths", paths[:1], dfHeader + "a 1 1 0 100% /\nb 1 1 0 100% /b\n", 0, nil, ErrUnparseable},
		{"no header", paths[:1], "a 1 1 0 100% /\n", 0, nil, ErrUnparseable},
		{"garbage line", paths[:1], dfHeader + "hello world\n", 0, nil, ErrUnparseable},
		{"used above total", paths[:1], dfHeader + "a 10 11 0 100% /\n", 0, nil, ErrUnparseable},
		{"no mount point", paths[:1], dfHeader + "a 10 1 9 10%\n", 0, nil, ErrUnparseable},
		{"reserved blocks round up", paths[:1], dfHeader + "a 1000 901 99 91% /\n", 0,
			[]DiskUse{{Path: paths[0], Filesystem: "a", Mount: "/", Total: 1000, Used: 901, Avail: 99, UsedPct: 91}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDiskUsage(tc.paths, tc.out, tc.exit)
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("ParseDiskUsage error %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("disks (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseLoadAvg(f *testing.F) {
	for _, s := range []string{"0.66 1.48 2.07 2/428 8054\n", "", "1 1 1 1/1 1", "NaN 1 1 1/1 1", "1e400 1 1 1/1 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLoadAvg(s)
		if err != nil {
			if !errors.Is(err, ErrUnparseable) {
				t.Fatalf("error %v is not ErrUnparseable", err)
			}
			return
		}
		for _, x := range []float64{l.Load1, l.Load5, l.Load15} {
			if !(x >= 0 && x <= maxLoad) {
				t.Fatalf("ParseLoadAvg(%q) = %+v", s, l)
			}
		}
	})
}

func FuzzParseMemInfo(f *testing.F) {
	for _, s := range []string{memInfoSample, "MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\nCached: 20 kB\n", "", "a:\n", ":1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMemInfo(s)
		if err != nil {
			if !errors.Is(err, ErrUnparseable) {
				t.Fatalf("error %v is not ErrUnparseable", err)
			}
			return
		}
		if m.Total == 0 || m.Available > m.Total {
			t.Fatalf("ParseMemInfo(%q) = %+v", s, m)
		}
	})
}

func FuzzParseDiskUsage(f *testing.F) {
	f.Add(dfHeader+"/dev/vda1 1000 410 590 41% /\n", 0, uint8(1))
	f.Add(dfHeader+"my fs 0 0 0 - /x y\n/dev/b 5 5 0 100% /b\n", 0, uint8(2))
	f.Add(dfHeader, 1, uint8(2))
	f.Add("", 1, uint8(1))
	f.Fuzz(func(t *testing.T, out string, exit int, n uint8) {
		paths := make([]string, n%8)
		for i := range paths {
			paths[i] = "/p" + strings.Repeat("x", i)
		}
		disks, err := ParseDiskUsage(paths, out, exit)
		if err != nil && !errors.Is(err, ErrUnparseable) && !errors.Is(err, ErrDiskMissing) {
			t.Fatalf("error %v is neither ErrUnparseable nor ErrDiskMissing", err)
		}
		if len(disks) > len(paths) {
			t.Fatalf("%d disks for %d paths", len(disks), len(paths))
		}
		for i, d := range disks {
			if d.Used > d.Total || d.Avail > d.Total || d.UsedPct < 0 || d.UsedPct > 100 {
				t.Fatalf("disk %+v", d)
			}
			if err == nil && d.Path != paths[i] {
				t.Fatalf("disk %d has path %q, want %q", i, d.Path, paths[i])
			}
		}
	})
}
