package remote

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseBackupListing(f *testing.F) {
	for _, s := range []string{
		"", "1741600000 1073741824 /srv/backups/a.qcow2\n",
		"1 2 /srv/backups/a.qcow2\n3 4 /srv/backups/b.qcow2\n5 6 /srv/backups/b.qcow2.sha256\n",
		"-1 0 /srv/backups/x y.qcow2", "9223372036854775807 9223372036854775807 /srv/backups/z.qcow2\n",
		"total 0\n", "1 2 /etc/passwd\n", "\n\n", "1 2 /srv/backups/\x1b[31m.qcow2\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		files, err := ParseBackupListing(out, "/srv/backups/*.qcow2")
		if err != nil {
			if !errors.Is(err, ErrBackupOutput) {
				t.Fatalf("error %v does not wrap errBackupOutput", err)
			}
			return
		}
		for i, fl := range files {
			if !strings.HasPrefix(fl.Path, "/srv/backups/") || strings.HasSuffix(fl.Path, SidecarSuffix) || fl.Size < 0 {
				t.Fatalf("accepted %+v", fl)
			}
			if i > 0 && fl.MTime.After(files[i-1].MTime) {
				t.Fatalf("not newest first at %d: %+v", i, files)
			}
		}
	})
}

func FuzzParseSHA256Output(f *testing.F) {
	for _, s := range []string{
		"--no-tool--\n", hashA + "  /f\n--no-sidecar--\n", hashA + "  /f\n--sidecar--\n" + hashA + "  f\n",
		`\` + hashA + "  /f\\n\n--sidecar--\n", "--sidecar--\n", "--no-sidecar--\n--sidecar--\n",
		hashA + "  /f\r\n--sidecar--\r\nSHA256 (f) = " + hashB + "\r\n", "@@hv:0\n--no-tool--\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		o, err := ParseSHA256Output(out)
		switch {
		case err != nil:
			if !errors.Is(err, ErrBackupOutput) && !errors.Is(err, ErrSHA256NoHash) {
				t.Fatalf("unexpected error type %v", err)
			}
		case o.ToolMissing:
		case !IsSHA256Hex(o.FileHash) || o.FileHash != strings.ToLower(o.FileHash):
			t.Fatalf("accepted file hash %q", o.FileHash)
		case !o.HasSidecar && o.Sidecar != "":
			t.Fatalf("sidecar text without a sidecar: %+v", o)
		}
	})
}

func FuzzParseSidecar(f *testing.F) {
	for _, s := range []string{hashA, hashA + "  a.img\n", "\uFEFF" + hashA + " *a\r\n", "SHA256 (a) = " + hashA,
		"SHA256 (a) = ", hashA + hashB, "", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		h, err := ParseSidecar(content)
		if err == nil && (!IsSHA256Hex(h) || h != strings.ToLower(h)) {
			t.Fatalf("accepted hash %q from %q", h, content)
		}
	})
}

func FuzzParseQemuImgOutput(f *testing.F) {
	f.Add(qemuCleanOut, 0)
	f.Add("--no-tool--\n", 0)
	f.Add("2 errors were found on the image.\n1 leaked clusters were found on the image.\n", 2)
	f.Add("99999999999999999999 leaked clusters were found on the image.\n", 3)
	f.Add("-1 errors were found on the image.\n", 1)
	f.Add("", 63)
	f.Add("garbage", -1)
	f.Fuzz(func(t *testing.T, out string, exit int) {
		c, err := ParseQemuImgOutput(out, exit)
		if err != nil {
			if !errors.Is(err, ErrBackupOutput) {
				t.Fatalf("error %v does not wrap errBackupOutput", err)
			}
			return
		}
		if c.Errors < -1 || c.Leaks < -1 || c.InternalErrs < -1 {
			t.Fatalf("negative count: %+v", c)
		}
		if c.Verdict == QemuClean && (exit != 0 || c.Errors > 0 || c.Leaks > 0) {
			t.Fatalf("clean with exit %d: %+v", exit, c)
		}
	})
}
