package probes

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
)

func TestParseBackupListing(t *testing.T) {
	const glob = "/srv/b/*"
	tests := []struct {
		name    string
		out     string
		want    []string // paths, newest first
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"sorted newest first", "100 5 /srv/b/a.img\n300 5 /srv/b/c.img\n200 5 /srv/b/b.img\n",
			[]string{"/srv/b/c.img", "/srv/b/b.img", "/srv/b/a.img"}, false},
		{"tie broken by path", "100 5 /srv/b/a.img\n100 5 /srv/b/b.img\n", []string{"/srv/b/b.img", "/srv/b/a.img"}, false},
		{"spaces in a name", "100 5 /srv/b/my vm.img\n", []string{"/srv/b/my vm.img"}, false},
		{"negative mtime", "-100 5 /srv/b/a.img\n", []string{"/srv/b/a.img"}, false},
		{"sidecars dropped", "100 64 /srv/b/a.img.sha256\n", nil, false},
		{"no final newline", "100 5 /srv/b/a.img", []string{"/srv/b/a.img"}, false},
		{"blank line", "100 5 /srv/b/a.img\n\n", nil, true},
		{"two fields", "100 /srv/b/a.img\n", nil, true},
		{"bad mtime", "yesterday 5 /srv/b/a.img\n", nil, true},
		{"negative size", "100 -5 /srv/b/a.img\n", nil, true},
		{"relative path", "100 5 a.img\n", nil, true},
		{"path outside glob", "100 5 /srv/b/sub/a.img\n", nil, true},
		{"error text", "stat: cannot stat '/srv/b/a.img': Permission denied\n", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := parseBackupListing(tc.out, glob)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errBackupOutput) {
					t.Errorf("error %v does not wrap errBackupOutput", err)
				}
				return
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBackupListingFields(t *testing.T) {
	files, err := parseBackupListing("1741600000 2147483648 /srv/b/a.img\n", "/srv/b/*.img")
	if err != nil {
		t.Fatal(err)
	}
	want := []backupFile{{Path: "/srv/b/a.img", MTime: time.Unix(1741600000, 0), Size: 2147483648}}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseSHA256Output(t *testing.T) {
	const line = "  /srv/b/a.img\n"
	tests := []struct {
		name    string
		out     string
		want    sha256Output
		wantErr error
	}{
		{"no tool", "--no-tool--\n", sha256Output{ToolMissing: true}, nil},
		{"no sidecar", hashA + line + "--no-sidecar--\n", sha256Output{FileHash: hashA}, nil},
		{"sidecar", hashA + line + "--sidecar--\n" + hosts.HexDump([]byte(hashA+"\n")),
			sha256Output{FileHash: hashA, HasSidecar: true, Sidecar: hashA + "\n"}, nil},
		{"sidecar not a hex dump", hashA + line + "--sidecar--\n" + hashA + "\n", sha256Output{}, errBackupOutput},
		{"upper-case hash, binary mode", strings.ToUpper(hashA) + " */srv/b/a.img\n--no-sidecar--\n",
			sha256Output{FileHash: hashA}, nil},
		{"escaped name", `\` + hashA + "  /srv/b/a\\nb.img\n--no-sidecar--\n", sha256Output{FileHash: hashA}, nil},
		{"empty sidecar", hashA + line + "--sidecar--\n", sha256Output{FileHash: hashA, HasSidecar: true}, nil},
		{"file unreadable", "--no-sidecar--\n", sha256Output{}, errSHA256NoHash},
		{"no marker", hashA + line, sha256Output{}, errBackupOutput},
		{"two hash lines", hashA + line + hashB + line + "--no-sidecar--\n", sha256Output{}, errBackupOutput},
		{"short hash", "abc  /srv/b/a.img\n--no-sidecar--\n", sha256Output{}, errBackupOutput},
		{"text after no-sidecar", hashA + line + "--no-sidecar--\nhello\n", sha256Output{}, errBackupOutput},
		{"empty", "", sha256Output{}, errBackupOutput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSHA256Output(tc.out)
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); err == nil && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSidecar(t *testing.T) {
	tests := []struct {
		name, content, want string
		wantErr             bool
	}{
		{"hash only", hashA, hashA, false},
		{"hash and name", hashA + "  a.img\n", hashA, false},
		{"binary mode", hashA + " *a.img\n", hashA, false},
		{"upper case, CRLF, BOM", "\uFEFF" + strings.ToUpper(hashA) + "  a.img\r\n", hashA, false},
		{"surrounding blank lines", "\n" + hashA + "\n\n", hashA, false},
		{"escaped name", `\` + hashA + `  a\\b.img`, hashA, false},
		{"BSD form", "SHA256 (a.img) = " + hashA + "\n", hashA, false},
		{"empty", "", "", true},
		{"two lines", hashA + "  a.img\n" + hashB + "  b.img\n", "", true},
		{"too long a hash", hashA + "ff\n", "", true},
		{"md5", "d41d8cd98f00b204e9800998ecf8427e  a.img\n", "", true},
		{"bad BSD form", "SHA256 (a.img) = xyz\n", "", true},
		{"prose", "checksum OK\n", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSidecar(tc.content)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestParseQemuImgOutput(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		exit    int
		want    qemuCheck
		wantErr bool
	}{
		{"clean", qemuCleanOut, 0, qemuCheck{qemuClean, -1, -1, -1}, false},
		{"no tool", "--no-tool--\n", 0, qemuCheck{qemuToolMissing, -1, -1, -1}, false},
		{"external data file", hosts.QemuImgExternalData + "\n", 0, qemuCheck{qemuExternalData, -1, -1, -1}, false},
		{"corrupt with leaks", "ERROR cluster 5 refcount=0 reference=1\n\n9493 errors were found on the image.\n" +
			"Data may be corrupted, or further writes to the image may corrupt it.\n\n" +
			"2 leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n",
			2, qemuCheck{qemuCorrupt, 9493, 2, -1}, false},
		{"leaks", "\n4 leaked clusters were found on the image.\n", 3, qemuCheck{qemuLeaks, -1, 4, -1}, false},
		{"internal errors", "1 internal errors occurred during the check.\n", 1, qemuCheck{qemuIncomplete, -1, -1, 1}, false},
		{"not completed, silent", "", 1, qemuCheck{qemuIncomplete, -1, -1, -1}, false},
		{"unsupported format", "", 63, qemuCheck{qemuUnsupported, -1, -1, -1}, false},
		{"exit 0 without the verdict", "Image end offset: 5\n", 0, qemuCheck{}, true},
		{"exit 0 with errors counted", "No errors were found on the image.\n3 errors were found on the image.\n", 0, qemuCheck{}, true},
		{"command not found", "", 127, qemuCheck{}, true},
		{"batch cut short", qemuCleanOut, -1, qemuCheck{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseQemuImgOutput(tc.out, tc.exit)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); err == nil && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatBackupAgeAndBytes(t *testing.T) {
	ages := map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 12*time.Minute + 30*time.Second: "12m", 26 * time.Hour: "26h",
		31*time.Hour + 20*time.Minute: "31h20m", 76 * time.Hour: "3d4h", 7 * 24 * time.Hour: "7d",
	}
	for d, want := range ages {
		if got := formatBackupAge(d); got != want {
			t.Errorf("formatBackupAge(%v) = %q, want %q", d, got, want)
		}
	}
	sizes := map[int64]string{
		0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 1 << 30: "1 GiB", 27 << 29: "13.5 GiB", 1<<62 + 1<<61: "6 EiB",
	}
	for n, want := range sizes {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func BenchmarkParseBackupListing(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sb, "%d %d /srv/backups/vm-%05d.qcow2\n", 1741600000-i*3600, 1<<30+i, i)
	}
	out := sb.String()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := parseBackupListing(out, "/srv/backups/*.qcow2"); err != nil {
			b.Fatal(err)
		}
	}
}
