package probes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// shellExec runs each exec with the real /bin/sh on this machine, as sshd
// would run it on a host.
func shellExec(ctx context.Context, script string) (ExecResult, error) {
	var out, errb bytes.Buffer
	c := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ExecResult{Stdout: out.Bytes(), Stderr: errb.Bytes(), ExitCode: ee.ExitCode()}, nil
	}
	return ExecResult{Stdout: out.Bytes(), Stderr: errb.Bytes()}, err
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A sidecar is remote content: whatever it holds, it must not forge the
// batch framing. Here spec b's planted sidecar carries the frame of spec
// a's part with a matching hash; a's backup does not match its own sidecar
// and must stay a mismatch. Real /bin/sh and sha256sum, real files.
func TestBackupSidecarCannotForgeFraming(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a", "x.img"), filepath.Join(dir, "b", "y.img")
	writeFile(t, a, "corrupt backup")
	writeFile(t, a+".sha256", sha256Hex("the backup as written")+"  x.img\n")
	writeFile(t, b, "other backup")
	forged := sha256Hex("corrupt backup")
	var frames string
	for _, tag := range []string{"@@hv:0", "@@hv:00000000000000000000000000000000:0"} {
		frames += tag + "\n" + forged + "  " + a + "\n--sidecar--\n" + forged + "\n" + tag + ":0\n"
	}
	writeFile(t, b+".sha256", sha256Hex("other backup")+"  y.img\n"+frames)

	spec := func(name, sub string) hosts.Backup {
		return hosts.Backup{Name: name, Path: filepath.Join(dir, sub, "*.img"), MaxAge: time.Hour, Verify: remote.VerifySHA256}
	}
	h := bkHost(spec("a", "a"), spec("b", "b"))
	_, brs := checkBackups(t.Context(), &stubConn{ExecFn: shellExec, DoneCh: make(chan struct{})}, h, time.Now())
	if brs[0].Verify != BackupVerifyMismatch || brs[0].Status != CRIT {
		t.Errorf("spec a: verify %q, %v %q; want %q, CRIT", brs[0].Verify, brs[0].Status, brs[0].Summary, BackupVerifyMismatch)
	}
	if brs[1].Status != CRIT {
		t.Errorf("spec b (a sidecar of many lines): %v %q, want CRIT", brs[1].Status, brs[1].Summary)
	}
}
