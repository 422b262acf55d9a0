package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/tui/keytest"
	"github.com/hvconsole/hvconsole/tui/shell"
)

// stubSSH puts an ssh on PATH that records its argv, one element a line,
// then the file -F names, in the returned record file.
func stubSSH(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	record := filepath.Join(dir, "argv")
	script := `#!/bin/sh
printf '%s\n' "$@" > "$HV_SSH_RECORD"
if [ "$1" = "-F" ] && [ "$2" != none ]; then printf '=== %s\n' "$2" >> "$HV_SSH_RECORD"; cat "$2" >> "$HV_SSH_RECORD"; fi
`
	if err := os.WriteFile(filepath.Join(dir, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	t.Setenv("HV_SSH_RECORD", record)
	return record
}

func shellInventory() []hosts.Host {
	inv := inventory(2)
	inv[0].User, inv[0].Port = "ops", 2222
	inv[0].KnownHosts = []string{"/etc/hv/known_hosts"}
	inv[0].IdentityFiles = []string{"/home/ops/.ssh/id_fleet"}
	inv[0].Jump = []hosts.Hop{{Name: "bastion", Address: "10.9.0.1", Port: 22, User: "jump",
		KnownHosts: []string{"/etc/hv/known_hosts"}, IdentityFiles: []string{"/home/ops/.ssh/id_jump"}}}
	return inv
}

// s suspends the console and runs ssh with hvconsole's settings: strict
// host-key flags present, the jump chain right, the address its own
// argument; the console comes back and says the session ended.
func TestShellKeyProgram(t *testing.T) {
	record := stubSSH(t)
	inv := shellInventory()
	src := newFakeSource(len(inv))
	m := New(Options{Hosts: inv, Now: fixedNow, NoColor: true}, src).withStop(t.Context().Done())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	src.ch <- report(inv[0], probes.CRIT, "hypervisor not running: libvirtd inactive", t0)
	src.ch <- report(inv[1], probes.OK, "", t0)
	waitOut(t, tm, "1 host CRIT: kvm-01")
	tm.Send(keytest.Press("s"))
	waitOut(t, tm, "ssh session to kvm-01 ended")
	tm.Send(keytest.Press("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the stub ssh did not run: %v", err)
	}
	argv, config, _ := strings.Cut(string(data), "=== ")
	lines := strings.Split(strings.TrimSpace(argv), "\n")
	for _, want := range [][2]string{
		{"-o", "StrictHostKeyChecking=yes"},
		{"-o", `UserKnownHostsFile="/etc/hv/known_hosts"`},
		{"-o", "GlobalKnownHostsFile=none"},
		{"-i", "/home/ops/.ssh/id_fleet"},
		{"-J", "jump@10.9.0.1:22"},
		{"-l", "ops"},
		{"-p", "2222"},
		{"--", "127.77.0.1"},
	} {
		if !hasPair(lines, want[0], want[1]) {
			t.Errorf("argv lacks %s %s:\n%s", want[0], want[1], argv)
		}
	}
	if lines[len(lines)-1] != "127.77.0.1" || strings.Contains(argv, "accept-new") {
		t.Errorf("argv must end with the address and never accept new keys:\n%s", argv)
	}
	if !strings.Contains(config, "Host \"10.9.0.1\"\n  StrictHostKeyChecking yes") ||
		!strings.Contains(config, "IdentityFile \"/home/ops/.ssh/id_jump\"") {
		t.Errorf("the hops' config:\n%s", config)
	}
}

func hasPair(lines []string, flag, value string) bool {
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] == flag && lines[i+1] == value {
			return true
		}
	}
	return false
}

// Without ssh on PATH, one line says so; an attached console (no
// inventory) refuses the shell in one line.
func TestShellKeyUnavailable(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	inv := shellInventory()
	m := newTestModel(t, inv, nil, 120, 40)
	m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[0], probes.CRIT, "hypervisor not running", t0)}})
	_, cmd := stepCmd(t, m, keytest.Press("s"))
	if cmd == nil {
		t.Fatal("s gave no command")
	}
	// the exec runs ssh in Bubble Tea's loop: run the session directly
	m = step(t, m, shellDoneMsg{host: "kvm-01", err: runShell(t, inv[0])})
	if !strings.Contains(m.note, "ssh not found on PATH") {
		t.Errorf("note %q, want ssh not found", m.note)
	}

	attached := newTestModel(t, nil, nil, 120, 40)
	attached = step(t, attached, reportsMsg{reports: []probes.HostReport{report(inv[0], probes.CRIT, "hypervisor not running", t0)}})
	attached, cmd = stepCmd(t, attached, keytest.Press("s"))
	if cmd != nil || !strings.Contains(attached.note, "attached console has no connection settings") {
		t.Errorf("attached: note %q, cmd %v; want a one-line refusal", attached.note, cmd != nil)
	}
}

func runShell(t *testing.T, h hosts.Host) error {
	t.Helper()
	return shell.New(h).Run()
}

// y copies the selected host's address with OSC 52.
func TestCopyAddress(t *testing.T) {
	inv := inventory(2)
	m := newTestModel(t, inv, nil, 120, 40)
	m = step(t, m, reportsMsg{reports: []probes.HostReport{report(inv[1], probes.CRIT, "hypervisor not running", t0)}})
	m, cmd := stepCmd(t, m, keytest.Press("y"))
	if cmd == nil || !strings.Contains(m.note, "address of kvm-02 copied") {
		t.Fatalf("note %q, want the address copied", m.note)
	}
	if got, want := cmd(), tea.SetClipboard("127.77.0.2")(); got != want {
		t.Errorf("clipboard message %#v, want %#v", got, want)
	}
}
