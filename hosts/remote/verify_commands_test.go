package remote

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runSh runs cmd with the real /bin/sh, bounded by the test's own deadline.
func runSh(t *testing.T, cmd string) (stdout, stderr string, exit int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	// A tool stuck on what it opened dies with the shell: its own group.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = time.Second
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("sh: %v", err)
	}
	return out.String(), errb.String(), c.ProcessState.ExitCode()
}

func qemuImg(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %q: %v\n%s", args, err, out)
	}
}

// fifoOpened reports on the returned channel whether anything opened the
// FIFO at path for reading: the writer side's open blocks until then.
// Call release once the command under test has ended.
func fifoOpened(t *testing.T, path string) (opened <-chan bool, release func()) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	ch := make(chan bool, 1)
	got := make(chan struct{})
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			f.Close()
		}
		close(got)
	}()
	return ch, func() {
		select {
		case <-got:
			ch <- true
			return
		default:
		}
		r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // frees the writer
		if err == nil {
			<-got
			r.Close()
		}
		ch <- false
	}
}

// The image's header names a backing file (a FIFO, so an open shows) or an
// NBD server (a listener here, so a connection shows), or an external data
// file: qemu-img check must open none of them. Real qemu-img and /bin/sh.
func TestQemuImgCheckNeverFollowsTheHeader(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed (lab.sh install adds qemu-utils)")
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nbd := "nbd://" + ln.Addr().String() + "/export"

	t.Run("backing file", func(t *testing.T) {
		img := filepath.Join(dir, "backing.qcow2")
		qemuImg(t, "create", "-q", "-f", "qcow2", img, "1M")
		opened, release := fifoOpened(t, filepath.Join(dir, "secret"))
		qemuImg(t, "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", filepath.Join(dir, "secret"), img)
		out, _, exit := runSh(t, must(QemuImgCheckCommand(img, 20*time.Second)))
		release()
		if <-opened {
			t.Error("qemu-img opened the backing file named in the header")
		}
		if exit != 0 || !strings.Contains(out, "No errors were found") {
			t.Errorf("check = %q exit %d, want a clean check", out, exit)
		}
	})
	t.Run("nbd backing", func(t *testing.T) {
		img := filepath.Join(dir, "nbd.qcow2")
		qemuImg(t, "create", "-q", "-f", "qcow2", img, "1M")
		qemuImg(t, "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", nbd, img)
		out, _, exit := runSh(t, must(QemuImgCheckCommand(img, 20*time.Second)))
		if exit != 0 || !strings.Contains(out, "No errors were found") {
			t.Errorf("check = %q exit %d, want a clean check", out, exit)
		}
		// Connections queue in order: the first one accepted is ours
		// unless qemu-img connected before.
		mine, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer mine.Close()
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.RemoteAddr().String() != mine.LocalAddr().String() {
			t.Errorf("qemu-img connected to %s named in the header", nbd)
		}
	})
	t.Run("external data file", func(t *testing.T) {
		img, data := filepath.Join(dir, "data.qcow2"), filepath.Join(dir, "data.raw")
		qemuImg(t, "create", "-q", "-f", "qcow2", "-o", "data_file="+data, img, "1M")
		os.Remove(data)
		opened, release := fifoOpened(t, data)
		out, _, _ := runSh(t, must(QemuImgCheckCommand(img, 20*time.Second)))
		release()
		if <-opened {
			t.Error("qemu-img opened the data file named in the header")
		}
		if strings.TrimSpace(out) != QemuImgExternalData {
			t.Errorf("check = %q, want %s", out, QemuImgExternalData)
		}
	})
	t.Run("odd path", func(t *testing.T) {
		img := filepath.Join(dir, `it's "a" \ json.qcow2`)
		qemuImg(t, "create", "-q", "-f", "qcow2", img, "1M")
		out, errs, exit := runSh(t, must(QemuImgCheckCommand(img, 20*time.Second)))
		if exit != 0 || !strings.Contains(out, "No errors were found") {
			t.Errorf("check = %q / %q exit %d", out, errs, exit)
		}
	})
}

// sha256sum runs under timeout: a hash that outlives the limit is stopped.
func TestSHA256VerifyCommandRealShell(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a b.img")
	if err := os.WriteFile(f, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f+".sha256", []byte("@@hv:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := must(SHA256VerifyCommand(f, time.Second))
	if !strings.Contains(cmd, "timeout -k 5 1 sha256sum -- ") {
		t.Errorf("command %q has no timeout", cmd)
	}
	out, _, exit := runSh(t, cmd)
	sum, dump, ok := strings.Cut(out, "--sidecar--\n")
	side, err := DecodeHexDump(dump)
	if exit != 0 || !ok || err != nil || string(side) != "@@hv:0:0\n" || !strings.HasPrefix(sum, "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7") {
		t.Errorf("out %q exit %d", out, exit)
	}
	for _, bad := range []time.Duration{0, -time.Second, 2 * MaxVerifyLimit} {
		if _, err := QemuImgCheckCommand(f, bad); !errors.Is(err, ErrBadArgument) {
			t.Errorf("limit %v accepted", bad)
		}
	}
	if _, err := SHA256VerifyCommand("/a/\xff.img", time.Second); !errors.Is(err, ErrBadArgument) {
		t.Error("a path that is not UTF-8 accepted")
	}
}

func must(cmd string, err error) string {
	if err != nil {
		panic(err)
	}
	return cmd
}
