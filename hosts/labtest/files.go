package labtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hostDir is host n's folder in the state directory (hosts/labNN).
func (l *Lab) hostDir(n int) string {
	return filepath.Join(l.Dir, "hosts", l.Host(n).Name)
}

// HostFile writes content to rel inside host n's folders until the test
// ends, then puts back what was there (or removes the file). rel is
// relative to the host's folder: "etc/libvirtd.conf" is the host's
// /etc/libvirt/libvirtd.conf, "srv/x" its /srv/x (see lab/README.md). The
// systemctl stand-in reads "etc/hvlab-sockets/UNIT" as an enabled socket
// unit. Daemons read their config only when they start.
func (l *Lab) HostFile(t testing.TB, n int, rel, content string) {
	t.Helper()
	if filepath.IsAbs(rel) || strings.Contains(rel, "..") {
		t.Fatalf("labtest: host file %q must be relative, without ..", rel)
	}
	p := filepath.Join(l.hostDir(n), rel)
	old, err := os.ReadFile(p)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("labtest: %v", err)
	}
	dir := filepath.Dir(p)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("labtest: %v", err)
	}
	t.Cleanup(func() {
		if err := restoreFile(p, old, existed); err != nil {
			t.Errorf("labtest: restore %s: %v", p, err)
		}
		if errors.Is(statErr, fs.ErrNotExist) {
			_ = os.Remove(dir)
		}
	})
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatalf("labtest: %v", err)
	}
}

func restoreFile(p string, old []byte, existed bool) error {
	if existed {
		return os.WriteFile(p, old, 0o644)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove: %w", err)
	}
	return nil
}

// CutSessions kills (SIGKILL) every sshd process serving a connection to
// host n, leaving the listener alone: each open SSH link dies at once, as
// when a network path goes, and the commands those sessions ran lose their
// output pipes. The processes are found by host n's mount namespace, so no
// other host's (or the machine's own) sshd is touched. It returns how many
// were killed.
func (l *Lab) CutSessions(t testing.TB, n int) int {
	t.Helper()
	dir := l.hostDir(n)
	ns, err := os.ReadFile(filepath.Join(dir, "mntns"))
	if err != nil {
		t.Fatalf("labtest: %v", err)
	}
	listener, _ := os.ReadFile(filepath.Join(dir, "sshd.pid"))
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("labtest: %v", err)
	}
	killed := 0
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || p.Name() == strings.TrimSpace(string(listener)) {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
		link, _ := os.Readlink(filepath.Join("/proc", p.Name(), "ns", "mnt"))
		if strings.TrimSpace(string(comm)) != "sshd" || link != strings.TrimSpace(string(ns)) {
			continue
		}
		if proc, err := os.FindProcess(pid); err == nil && proc.Kill() == nil {
			killed++
		}
	}
	return killed
}
