package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes"
)

func TestUnknownCommandListsCommands(t *testing.T) {
	code, _, stderr := runCapture(t, "chekc")
	if code != exitUnknown || !strings.Contains(stderr, `unknown command "chekc"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, c := range subcommands {
		if !strings.Contains(stderr, c) {
			t.Errorf("stderr %q does not list %s", stderr, c)
		}
	}
}

func TestFlagUsageNamesTheCommand(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"demo", "--help"}, {"check", "-h"}} {
		_, _, stderr := runCapture(t, args...)
		if strings.Contains(stderr, "Usage of") || !strings.Contains(stderr, "Usage: hvconsole") {
			t.Errorf("%v: usage %q", args, stderr)
		}
		if strings.Count(stderr, "(default") > strings.Count(stderr, "\n  -") {
			t.Errorf("%v: a default is printed twice: %q", args, stderr)
		}
	}
	_, _, stderr := runCapture(t, "demo", "--help")
	for _, f := range []string{"-ascii", "-war-room", "-no-color", "-read-only"} {
		if !strings.Contains(stderr, f) {
			t.Errorf("demo usage lacks %s", f)
		}
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-27T03:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	if got, want := describeBuild("", info), "v1.4.0 (rev 0123456789ab, 2026-11-27T03:00:00Z, modified)"; got != want {
		t.Fatalf("version %q, want %q", got, want)
	}
	if got := describeBuild("", &debug.BuildInfo{}); got != "(devel)" {
		t.Fatalf("no info: %q", got)
	}
	if got := describeBuild("v2", &debug.BuildInfo{Main: debug.Module{Version: "v1"}}); got != "v2" {
		t.Fatalf("the -ldflags override is ignored: %q", got)
	}
}

// Machine output carries a summary whole, however long: the table may fit
// the terminal, JSON never cuts.
func TestJSONNeverTruncates(t *testing.T) {
	long := strings.Repeat("libvirtd-unit-with-a-long-name inactive, ", 40)
	rep := probes.HostReport{Host: "kvm-01", Status: probes.CRIT, Checks: []probes.Result{
		{Host: "kvm-01", Check: "hypervisor", Status: probes.CRIT, Summary: long},
	}}
	var out bytes.Buffer
	if err := writeJSON(&out, time.Unix(0, 0), []probes.HostReport{rep}); err != nil {
		t.Fatal(err)
	}
	var doc checkJSON
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Hosts[0].Checks[0].Summary
	if got != long {
		t.Fatalf("summary cut to %d of %d bytes", len(got), len(long))
	}
}

// SIGHUP (the terminal closed) cleans up like SIGTERM: the console leaves
// the alternate screen and the demo removes its temporary directory, which
// holds its private key.
func TestSIGHUPCleansUp(t *testing.T) {
	bin := buildBinary(t)
	tmp := t.TempDir()
	raw := filepath.Join(t.TempDir(), "raw")
	s := startTmux(t, 80, 24, []string{"TMPDIR=" + tmp, "NO_COLOR=1", "exec"}, bin, "demo", "--quiet")
	if out, err := exec.Command("tmux", "pipe-pane", "-t", s.name, "cat >> "+raw).CombinedOutput(); err != nil {
		t.Fatalf("tmux pipe-pane: %v\n%s", err, out)
	}
	s.waitFor("the demo console", 60*time.Second, func(scr string) bool { return strings.Contains(scr, "round ") })
	if dirs, _ := filepath.Glob(filepath.Join(tmp, "hvconsole-demo-*")); len(dirs) != 1 {
		t.Fatalf("demo temp dirs %v, want one while it runs", dirs)
	}
	out, err := exec.Command("tmux", "display-message", "-p", "-t", s.name, "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitFor("the demo to exit", 30*time.Second, func(string) bool {
		return exec.Command("tmux", "has-session", "-t", s.name).Run() != nil
	})
	if dirs, _ := filepath.Glob(filepath.Join(tmp, "hvconsole-demo-*")); len(dirs) != 0 {
		t.Fatalf("SIGHUP left %v behind", dirs)
	}
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	// the capture may start after the console entered the alternate
	// screen; what matters is that it left it last
	enter, leave := bytes.LastIndex(data, []byte("\x1b[?1049h")), bytes.LastIndex(data, []byte("\x1b[?1049l"))
	if leave < 0 || leave < enter {
		t.Fatalf("the terminal was not restored (alt screen entered at %d, left at %d)", enter, leave)
	}
}

// The top-level usage names every command dispatch knows, and under each
// command every flag that command takes (its -h is the source of truth).
func TestTopUsageListsEveryFlag(t *testing.T) {
	blocks := map[string]string{} // command -> its usage lines
	cur := ""
	for _, l := range strings.Split(usageText, "\n") {
		if rest, ok := strings.CutPrefix(l, "  hvconsole "); ok {
			f := strings.Fields(rest)
			cur = ""
			if len(f) > 0 && !strings.HasPrefix(f[0], "-") && !strings.HasPrefix(f[0], "[") {
				cur = f[0]
				if cur == "import" && len(f) > 1 {
					cur += " " + f[1]
				}
			}
		} else if !strings.HasPrefix(l, "  ") {
			continue
		}
		blocks[cur] += l + "\n"
	}
	for _, c := range subcommands {
		if _, ok := blocks[c]; !ok && c != "import" && c != "help" {
			t.Errorf("the usage has no line for %s", c)
		}
	}
	for _, c := range []string{"", "check", "backups", "restart", "vm", "drill", "incidents", "serve", "validate", "init",
		"import ansible", "import ssh-config", "demo"} {
		args := strings.Fields(c)
		if c == "vm" {
			args = append(args, "start") // one usage line for its three operations
		}
		_, _, help := runCapture(t, append(args, "-h")...)
		for _, l := range strings.Split(help, "\n") {
			name, ok := strings.CutPrefix(l, "  -")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(name, " ")
			if !strings.Contains(blocks[c], "-"+name+" ") && !strings.Contains(blocks[c], "-"+name+"]") &&
				!strings.Contains(blocks[c], "-"+name+"\n") {
				t.Errorf("the usage of %q omits -%s", c, name)
			}
		}
	}
}
