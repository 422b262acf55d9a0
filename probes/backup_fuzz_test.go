package probes

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
)

// Fuzz tests of every backup output parser: no input panics, and whatever
// is accepted keeps the invariants the rating relies on.

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
		files, err := parseBackupListing(out, "/srv/backups/*.qcow2")
		if err != nil {
			if !errors.Is(err, errBackupOutput) {
				t.Fatalf("error %v does not wrap errBackupOutput", err)
			}
			return
		}
		for i, fl := range files {
			if !strings.HasPrefix(fl.Path, "/srv/backups/") || strings.HasSuffix(fl.Path, sidecarSuffix) || fl.Size < 0 {
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
		o, err := parseSHA256Output(out)
		switch {
		case err != nil:
			if !errors.Is(err, errBackupOutput) && !errors.Is(err, errSHA256NoHash) {
				t.Fatalf("unexpected error type %v", err)
			}
		case o.ToolMissing:
		case !isSHA256Hex(o.FileHash) || o.FileHash != strings.ToLower(o.FileHash):
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
		h, err := parseSidecar(content)
		if err == nil && (!isSHA256Hex(h) || h != strings.ToLower(h)) {
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
		c, err := parseQemuImgOutput(out, exit)
		if err != nil {
			if !errors.Is(err, errBackupOutput) {
				t.Fatalf("error %v does not wrap errBackupOutput", err)
			}
			return
		}
		if c.Errors < -1 || c.Leaks < -1 || c.InternalErrs < -1 {
			t.Fatalf("negative count: %+v", c)
		}
		if c.Verdict == qemuClean && (exit != 0 || c.Errors > 0 || c.Leaks > 0) {
			t.Fatalf("clean with exit %d: %+v", exit, c)
		}
	})
}

// fuzzBackupRemote answers every exec with the same fuzzed output, where
// "@@hv:" stands for the batch's own tag, so fuzzed frames can match.
type fuzzBackupRemote struct {
	out, stderr string
	exit        int
}

func (r fuzzBackupRemote) Exec(_ context.Context, cmd string) (ExecResult, error) {
	out := r.out
	if boundary, _, ok := hosts.UnBatch(cmd); ok {
		out = strings.ReplaceAll(out, "@@hv:", "@@hv:"+boundary+":")
	}
	return ExecResult{Stdout: []byte(out), Stderr: []byte(r.stderr), ExitCode: r.exit}, nil
}
func (r fuzzBackupRemote) DialUnix(context.Context, string) (net.Conn, error) {
	return nil, errors.New("fuzz remote: no sockets")
}
func (r fuzzBackupRemote) HandshakeLatency() time.Duration { return 0 }
func (r fuzzBackupRemote) RTT() time.Duration              { return 0 }
func (r fuzzBackupRemote) Done() <-chan struct{}           { return nil }

// FuzzCheckBackups feeds garbage to the whole check: it must rate every
// spec, never panic, and keep control characters out of every text field.
func FuzzCheckBackups(f *testing.F) {
	f.Add("@@hv:0\n1741600000 5 /srv/backups/a.qcow2\n@@hv:0:0\n@@hv:1\n@@hv:1:0\n", "", 0)
	f.Add("@@hv:0\n1741600000 5 /srv/backups/\x1b]0;x\x07.qcow2\n@@hv:0:0\n", "\x9b31m", 0)
	f.Add("@@hv:0\n--no-tool--\n", "", 2)
	f.Fuzz(func(t *testing.T, out, stderr string, exit int) {
		h := bkHost(nightly("sha256"), withName(withPath(nightly("qemu-img"), "/srv/b/*"), "b"))
		res, brs := CheckBackups(t.Context(), fuzzBackupRemote{out, stderr, exit}, h, bkNow)
		if len(brs) != 2 || res.Check != hosts.CheckBackups || res.Status.Severity() < worstBackup(brs).Severity() {
			t.Fatalf("got %+v, %+v", res, brs)
		}
		texts := []string{res.Summary, res.Details, res.Err}
		for _, br := range brs {
			texts = append(texts, br.Spec, br.Summary, br.Newest, br.Verify, br.Err)
		}
		for _, s := range texts {
			if strings.ContainsAny(s, "\x1b\x07\x00\u009b\r") {
				t.Fatalf("control character in %q", s)
			}
		}
	})
}

// worstBackup is the worst status among brs.
func worstBackup(brs []BackupResult) Status {
	st := OK
	for _, br := range brs {
		st = st.Worse(br.Status)
	}
	return st
}
