package remote

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
			files, err := ParseBackupListing(tc.out, glob)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrBackupOutput) {
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
	files, err := ParseBackupListing("1741600000 2147483648 /srv/b/a.img\n", "/srv/b/*.img")
	if err != nil {
		t.Fatal(err)
	}
	want := []BackupFile{{Path: "/srv/b/a.img", MTime: time.Unix(1741600000, 0), Size: 2147483648}}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseSHA256Output(t *testing.T) {
	const line = "  /srv/b/a.img\n"
	tests := []struct {
		name    string
		out     string
		want    SHA256Output
		wantErr error
	}{
		{"no tool", "--no-tool--\n", SHA256Output{ToolMissing: true}, nil},
		{"no sidecar", hashA + line + "--no-sidecar--\n", SHA256Output{FileHash: hashA}, nil},
		{"sidecar", hashA + line + "--sidecar--\n" + HexDump([]byte(hashA+"\n")),
			SHA256Output{FileHash: hashA, HasSidecar: true, Sidecar: hashA + "\n"}, nil},
		{"sidecar not a hex dump", hashA + line + "--sidecar--\n" + hashA + "\n", SHA256Output{}, ErrBackupOutput},
		{"upper-case hash, binary mode", strings.ToUpper(hashA) + " */srv/b/a.img\n--no-sidecar--\n",
			SHA256Output{FileHash: hashA}, nil},
		{"escaped name", `\` + hashA + "  /srv/b/a\\nb.img\n--no-sidecar--\n", SHA256Output{FileHash: hashA}, nil},
		{"empty sidecar", hashA + line + "--sidecar--\n", SHA256Output{FileHash: hashA, HasSidecar: true}, nil},
		{"file unreadable", "--no-sidecar--\n", SHA256Output{}, ErrSHA256NoHash},
		{"no marker", hashA + line, SHA256Output{}, ErrBackupOutput},
		{"two hash lines", hashA + line + hashB + line + "--no-sidecar--\n", SHA256Output{}, ErrBackupOutput},
		{"short hash", "abc  /srv/b/a.img\n--no-sidecar--\n", SHA256Output{}, ErrBackupOutput},
		{"text after no-sidecar", hashA + line + "--no-sidecar--\nhello\n", SHA256Output{}, ErrBackupOutput},
		{"empty", "", SHA256Output{}, ErrBackupOutput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSHA256Output(tc.out)
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
			got, err := ParseSidecar(tc.content)
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
		want    QemuCheck
		wantErr bool
	}{
		{"clean", qemuCleanOut, 0, QemuCheck{QemuClean, -1, -1, -1}, false},
		{"no tool", "--no-tool--\n", 0, QemuCheck{QemuToolMissing, -1, -1, -1}, false},
		{"external data file", QemuImgExternalData + "\n", 0, QemuCheck{QemuExternalData, -1, -1, -1}, false},
		{"corrupt with leaks", "ERROR cluster 5 refcount=0 reference=1\n\n9493 errors were found on the image.\n" +
			"Data may be corrupted, or further writes to the image may corrupt it.\n\n" +
			"2 leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n",
			2, QemuCheck{QemuCorrupt, 9493, 2, -1}, false},
		{"leaks", "\n4 leaked clusters were found on the image.\n", 3, QemuCheck{QemuLeaks, -1, 4, -1}, false},
		{"internal errors", "1 internal errors occurred during the check.\n", 1, QemuCheck{QemuIncomplete, -1, -1, 1}, false},
		{"not completed, silent", "", 1, QemuCheck{QemuIncomplete, -1, -1, -1}, false},
		{"unsupported format", "", 63, QemuCheck{QemuUnsupported, -1, -1, -1}, false},
		{"exit 0 without the verdict", "Image end offset: 5\n", 0, QemuCheck{}, true},
		{"exit 0 with errors counted", "No errors were found on the image.\n3 errors were found on the image.\n", 0, QemuCheck{}, true},
		{"command not found", "", 127, QemuCheck{}, true},
		{"batch cut short", qemuCleanOut, -1, QemuCheck{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseQemuImgOutput(tc.out, tc.exit)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); err == nil && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
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
		if _, err := ParseBackupListing(out, "/srv/backups/*.qcow2"); err != nil {
			b.Fatal(err)
		}
	}
}
