package probes

import (
	"context"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Fuzz tests of every backup output parser: no input panics, and whatever
// is accepted keeps the invariants the rating relies on.

// fuzzBackupConn answers every exec with the same fuzzed output, where
// "@@hv:" stands for the batch's own tag, so fuzzed frames can match.
func fuzzBackupConn(out, stderr string, exit int) Conn {
	return &stubConn{ExecFn: func(_ context.Context, cmd string) (ExecResult, error) {
		framed := out
		if boundary, _, ok := remote.UnBatch(cmd); ok {
			framed = strings.ReplaceAll(out, "@@hv:", "@@hv:"+boundary+":")
		}
		return ExecResult{Stdout: []byte(framed), Stderr: []byte(stderr), ExitCode: exit}, nil
	}}
}

// FuzzCheckBackups feeds garbage to the whole check: it must rate every
// spec, never panic, and keep control characters out of every text field.
func FuzzCheckBackups(f *testing.F) {
	f.Add("@@hv:0\n1741600000 5 /srv/backups/a.qcow2\n@@hv:0:0\n@@hv:1\n@@hv:1:0\n", "", 0)
	f.Add("@@hv:0\n1741600000 5 /srv/backups/\x1b]0;x\x07.qcow2\n@@hv:0:0\n", "\x9b31m", 0)
	f.Add("@@hv:0\n--no-tool--\n", "", 2)
	f.Fuzz(func(t *testing.T, out, stderr string, exit int) {
		h := bkHost(nightly("sha256"), withName(withPath(nightly("qemu-img"), "/srv/b/*"), "b"))
		res, brs := checkBackups(t.Context(), fuzzBackupConn(out, stderr, exit), h, bkNow)
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
