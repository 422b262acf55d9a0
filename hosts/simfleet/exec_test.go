package simfleet

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Every command builder of hosts/commands.go against the simulated host.

// must unwraps a builder's result, failing the test on an error.
func must(t *testing.T) func(string, error) string {
	return func(cmd string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return cmd
	}
}

func TestIsActive(t *testing.T) {
	h := newTestHost(t, 1)
	for _, tc := range []struct {
		name     string
		units    []string
		stop     bool
		wantOut  string
		wantCode int
	}{
		{"daemon up", []string{"libvirtd"}, false, "active\n", 0},
		{"service suffix", []string{"libvirtd.service"}, false, "active\n", 0},
		{"daemon down", []string{"libvirtd"}, true, "inactive\n", 3},
		{"unknown unit", []string{"nosuch"}, false, "inactive\n", 3},
		{"several, one active", []string{"libvirtd", "virtlogd"}, true, "inactive\nactive\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.StartDaemon()
			if tc.stop {
				h.StopDaemon()
			}
			res := h.run(must(t)(remote.UnitsActiveCommand(tc.units)))
			if res.stdout != tc.wantOut || res.code != tc.wantCode {
				t.Errorf("is-active = %q exit %d; want %q exit %d", res.stdout, res.code, tc.wantOut, tc.wantCode)
			}
		})
	}
}

func TestKVMFacts(t *testing.T) {
	h := newTestHost(t, 1)
	res := h.run(remote.KVMFactsCommand)
	want := "kvm_dev=present\nkvm_access=rw\nkvm_module=" + h.w.node.kvmModule + "\nkvm_module=kvm\n"
	if res.stdout != want || res.code != 0 {
		t.Errorf("kvm facts = %q exit %d", res.stdout, res.code)
	}
}

func TestRestart(t *testing.T) {
	h := newTestHost(t, 1)
	for _, tc := range []struct {
		name       string
		unit       string
		sudo       bool
		wantCode   int
		wantStderr string
	}{
		{"daemon", "libvirtd", false, 0, ""},
		{"daemon with sudo", "libvirtd", true, 0, ""},
		{"other unit", "virtlogd", false, 0, ""},
		{"unknown unit", "nginx", false, 5, "Failed to restart nginx.service: Unit nginx.service not found.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.crashDaemon()
			res := h.run(must(t)(remote.RestartCommand(tc.unit, tc.sudo)))
			if res.code != tc.wantCode || res.stderr != tc.wantStderr {
				t.Errorf("restart = exit %d %q; want exit %d %q", res.code, res.stderr, tc.wantCode, tc.wantStderr)
			}
			wantUnit := unitFailed
			if tc.unit == daemonUnit {
				wantUnit = unitActive
			}
			if got := h.Snapshot().Unit; got != wantUnit {
				t.Errorf("daemon after restart of %s = %s, want %s", tc.unit, got, wantUnit)
			}
		})
	}
}

func TestJournal(t *testing.T) {
	h := newTestHost(t, 1)
	h.crashDaemon()
	h.run(must(t)(remote.RestartCommand("libvirtd", false)))
	vm := h.firstRunningVM()
	if err := h.CrashVM(vm); err != nil {
		t.Fatal(err)
	}
	res := h.run(must(t)(remote.JournalCommand("libvirtd", 100)))
	for _, want := range []string{msgKilled, msgFailed, msgStarted, "'" + vm + "'", " demo-01 systemd[1]: "} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("journal lacks %q:\n%s", want, res.stdout)
		}
	}
	if res := h.run(must(t)(remote.JournalCommand("libvirtd", 2))); strings.Count(res.stdout, "\n") != 2 {
		t.Errorf("journal -n 2 printed:\n%s", res.stdout)
	}
	if res := h.run(must(t)(remote.JournalCommand("cron", 5))); res.stdout != "-- No entries --\n" || res.code != 0 {
		t.Errorf("journal of unknown unit = %q exit %d", res.stdout, res.code)
	}
}

// parseListing reads "MTIME SIZE PATH" lines.
func parseListing(t *testing.T, out string) map[string]int64 {
	t.Helper()
	files := map[string]int64{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("bad listing line %q", l)
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		files[f[2]] = size
	}
	return files
}

func TestBackupList(t *testing.T) {
	h := newTestHost(t, 1)
	list := must(t)(remote.BackupListCommand("/srv/backups/*.qcow2"))
	res := h.run(list)
	files := parseListing(t, res.stdout)
	if len(files) != len(h.w.backups) || res.code != 0 {
		t.Fatalf("listing has %d files exit %d, want %d", len(files), res.code, len(h.w.backups))
	}
	for _, b := range h.w.backups {
		if files[b.path] != b.size || b.size < 1<<30 {
			t.Errorf("%s: listed size %d, want %d (>= 1 GiB)", b.path, files[b.path], b.size)
		}
	}
	h.SetBackupStale(true)
	if stale := parseListing(t, h.run(list).stdout); len(stale) != len(files)/2 {
		t.Errorf("stale listing has %d files, want %d", len(stale), len(files)/2)
	}
	if res := h.run(must(t)(remote.BackupListCommand("/nowhere/*.img"))); res.stdout != "" || res.code != 0 {
		t.Errorf("empty glob = %q exit %d", res.stdout, res.code)
	}
}

func TestVerifyCommands(t *testing.T) {
	h := newTestHost(t, 1)
	b := h.w.backups[0]
	t.Run("sha256 matches sidecar", func(t *testing.T) {
		res := h.run(must(t)(remote.SHA256VerifyCommand(b.path, time.Minute)))
		sum, dump, ok := strings.Cut(res.stdout, "--sidecar--\n")
		sidecar, err := remote.DecodeHexDump(dump)
		if !ok || err != nil || strings.Fields(sum)[0] != strings.Fields(string(sidecar))[0] || len(strings.Fields(sum)[0]) != 64 {
			t.Errorf("sha256 output %q", res.stdout)
		}
	})
	t.Run("sha256 of missing file", func(t *testing.T) {
		res := h.run(must(t)(remote.SHA256VerifyCommand("/srv/backups/gone.qcow2", time.Minute)))
		if res.stdout != "--no-sidecar--\n" || !strings.Contains(res.stderr, "No such file") {
			t.Errorf("sha256 missing = %q / %q", res.stdout, res.stderr)
		}
	})
	t.Run("qemu-img check", func(t *testing.T) {
		res := h.run(must(t)(remote.QemuImgCheckCommand(b.path, time.Minute)))
		if !strings.HasPrefix(res.stdout, "No errors were found on the image.\n") || res.code != 0 {
			t.Errorf("qemu-img = %q exit %d", res.stdout, res.code)
		}
	})
	t.Run("qemu-img of missing file", func(t *testing.T) {
		res := h.run(must(t)(remote.QemuImgCheckCommand("/srv/backups/gone.qcow2", time.Minute)))
		if res.code != 1 || !strings.Contains(res.stderr, "Could not open") {
			t.Errorf("qemu-img missing = %q exit %d", res.stderr, res.code)
		}
	})
	t.Run("quoted name", func(t *testing.T) {
		res := h.run(must(t)(remote.SHA256VerifyCommand("/srv/it's here.qcow2", time.Minute)))
		if !strings.Contains(res.stderr, "/srv/it's here.qcow2: No such file") {
			t.Errorf("quote round trip lost the name: %q", res.stderr)
		}
	})
}

func TestBatch(t *testing.T) {
	h := newTestHost(t, 1)
	h.StopDaemon()
	cmds := []string{
		must(t)(remote.UnitsActiveCommand([]string{"libvirtd"})),
		remote.KVMFactsCommand,
		"uptime",
		must(t)(remote.JournalCommand("libvirtd", 1)),
	}
	script, err := remote.Batch(cmds...)
	if err != nil {
		t.Fatal(err)
	}
	res := h.run(script.Script)
	parts := script.Split(res.stdout)
	for i, c := range cmds {
		want := h.runOne(c)
		if parts[i].Output != want.stdout || parts[i].Exit != want.code {
			t.Errorf("part %d = %q exit %d; want %q exit %d", i, parts[i].Output, parts[i].Exit, want.stdout, want.code)
		}
	}
	if res.code != 0 || res.stderr != "sh: 1: uptime: not found\n" {
		t.Errorf("batch exit %d stderr %q", res.code, res.stderr)
	}
}

func TestUnknownCommands(t *testing.T) {
	h := newTestHost(t, 1)
	for _, cmd := range []string{
		"rm -rf /",
		"systemctl is-active libvirtd",                // no "--"
		"systemctl is-active -- \"libvirtd\"",         // wrong quoting
		"systemctl restart -- 'libvirtd'; reboot",     // trailing text
		"journalctl -u 'libvirtd' -n 0 --no-pager",    // invalid count
		"journalctl -u 'libvirtd' -n 5 --no-pager -f", // extra flag
		strings.Replace(remote.KVMFactsCommand, "true", "false", 1),
	} {
		t.Run(cmd, func(t *testing.T) {
			res := h.run(cmd)
			word, _, _ := strings.Cut(cmd, " ")
			if res.code != 127 || res.stderr != fmt.Sprintf("sh: 1: %s: not found\n", word) || res.stdout != "" {
				t.Errorf("run(%q) = %q / %q exit %d; want 127", cmd, res.stdout, res.stderr, res.code)
			}
		})
	}
	if h.Snapshot().Unit != unitActive {
		t.Error("a refused restart command changed the daemon")
	}
}

func TestUnquote(t *testing.T) {
	for _, s := range []string{"", "plain", "it's", "''", "a'b'c", `back\slash`, "sp ace"} {
		word, rest, ok := remote.ShellUnquote(remote.ShellQuote(s) + " tail")
		if !ok || word != s || rest != " tail" {
			t.Errorf("hosts.ShellUnquote(hosts.ShellQuote(%q)) = %q, %q, %v", s, word, rest, ok)
		}
	}
	for _, bad := range []string{"x", "'open", `'a'\'`} {
		if w, _, ok := remote.ShellUnquote(bad); ok && remote.ShellQuote(w) == bad {
			t.Errorf("hosts.ShellUnquote(%q) accepted", bad)
		}
	}
}

// FuzzRun sends arbitrary commands: the host never panics and anything not
// built by hosts/commands.go gets exit 127.
func FuzzRun(f *testing.F) {
	for _, c := range []string{
		remote.KVMFactsCommand,
		"systemctl is-active -- 'libvirtd' 'virtlogd'",
		"systemctl restart -- 'libvirtd'",
		"journalctl -u 'libvirtd' -n 10 --no-pager",
		"echo @@hv:0123456789abcdef0123456789abcdef:0; systemctl is-active -- 'libvirtd'; echo @@hv:0123456789abcdef0123456789abcdef:0:$?\n",
		"for f in /srv/backups/*.qcow2; do [ -f \"$f\" ] && stat -c '%Y %s %n' -- \"$f\"; done; true",
		"", "'", "''\\'", "\x00\x1b[31m",
	} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		h := newTestHost(t, 2)
		res := h.run(cmd)
		if res.code != 127 {
			return
		}
		word, ok := strings.CutPrefix(res.stderr, "sh: 1: ")
		word, ok2 := strings.CutSuffix(word, ": not found\n")
		if !ok || !ok2 || strings.ContainsAny(word, "\x00\x1b\n\r") {
			t.Errorf("exit 127 with stderr %q", res.stderr)
		}
	})
}
