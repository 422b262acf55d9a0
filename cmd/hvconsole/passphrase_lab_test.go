package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// encryptedLabKey copies the lab's client key and encrypts the copy.
func encryptedLabKey(t *testing.T, lab *labtest.Lab, pass string) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "id_enc")
	data, err := os.ReadFile(lab.IdentityFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-p", "-f", key, "-N", pass).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return key
}

// A passphrase-protected key is asked for on the terminal when there is
// one, and fails with an error naming the key when there is none.
func TestPassphraseKeyLab(t *testing.T) {
	lab := labtest.Require(t)
	bin := buildBinary(t)
	key := encryptedLabKey(t, lab, "s3cret phrase")
	cfg := labConfig(t, lab, lab.KnownHosts, []int{labTarget}, nil)
	data, _ := os.ReadFile(cfg)
	data = bytes.Replace(data, []byte(lab.IdentityFile), []byte(key), 1)
	if err := os.WriteFile(cfg, data, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("asked on the terminal", func(t *testing.T) {
		s := startTmux(t, 120, 30, nil, "sh", "-c", "'"+bin+" check --config "+cfg+"; echo EXIT=$?; sleep 60'")
		s.waitFor("the passphrase prompt", 20*time.Second, func(scr string) bool {
			return strings.Contains(scr, "Passphrase for "+key)
		})
		s.keys("s3cret phrase", "Enter")
		scr := s.waitFor("the check to finish", 30*time.Second, func(scr string) bool { return strings.Contains(scr, "EXIT=") })
		if !strings.Contains(scr, "EXIT=0") || strings.Contains(scr, "s3cret") {
			t.Fatalf("want exit 0 and the passphrase never echoed:\n%s", scr)
		}
	})

	t.Run("no terminal: a clear error naming the key", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), bin, "check", "--config", cfg)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitCrit {
			t.Fatalf("exit: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "passphrase") || !strings.Contains(string(out), key) {
			t.Fatalf("output does not explain the passphrase-protected key %s:\n%s", key, out)
		}
	})
}
