package remote

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDrillCommandRefuses(t *testing.T) {
	good := DrillSpec{ID: "1764-1", File: "/srv/b/n.qcow2", Level: DrillL1, QCOW2: true, RestoreDir: "/var/tmp", ToolTimeout: time.Hour}
	tests := map[string]func(*DrillSpec){
		"id with a slash":      func(s *DrillSpec) { s.ID = "../x" },
		"empty id":             func(s *DrillSpec) { s.ID = "" },
		"relative file":        func(s *DrillSpec) { s.File = "n.qcow2" },
		"file not UTF-8":       func(s *DrillSpec) { s.File = "/srv/\xff.qcow2" },
		"file with a newline":  func(s *DrillSpec) { s.File = "/srv/x\n.qcow2" },
		"file with ..":         func(s *DrillSpec) { s.File = "/srv/../etc/shadow" },
		"restore dir /":        func(s *DrillSpec) { s.RestoreDir = "/" },
		"restore dir relative": func(s *DrillSpec) { s.RestoreDir = "tmp" },
		"level 3":              func(s *DrillSpec) { s.Level = 3 },
		"no tool timeout":      func(s *DrillSpec) { s.ToolTimeout = 0 },
		"negative rate":        func(s *DrillSpec) { s.RateMiB = -1 },
	}
	if _, err := DrillCommand(good); err != nil {
		t.Fatalf("good spec: %v", err)
	}
	for name, mutate := range tests {
		s := good
		mutate(&s)
		if _, err := DrillCommand(s); !errors.Is(err, ErrBadArgument) {
			t.Errorf("%s: err = %v, want ErrBadArgument", name, err)
		}
	}
}

// The file is quoted for the shell and opened by qemu-img only through a
// JSON filename that cuts the backing chain, with an explicit format, a
// timeout and resource limits.
func TestDrillCommandIsolatesQemuImg(t *testing.T) {
	s := DrillSpec{ID: "7", File: "/srv/b/it's $(x).qcow2", Level: DrillL1, QCOW2: true, RestoreDir: "/var/tmp", RateMiB: 8, ToolTimeout: time.Minute}
	cmd, err := DrillCommand(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cmd, `src='/srv/b/it'\''s $(x).qcow2'`) {
		t.Errorf("file not single-quoted:\n%s", cmd)
	}
	for _, l := range strings.Split(cmd, "\n") {
		if !strings.Contains(l, "qemu-img ") || strings.HasPrefix(l, "command -v") {
			continue
		}
		for _, want := range []string{"timeout -k 5 60 prlimit --as=2147483648 --cpu=60 -- qemu-img", "-f qcow2", `"backing":null`} {
			if !strings.Contains(l, want) {
				t.Errorf("qemu-img line without %q:\n%s", want, l)
			}
		}
	}
	if !strings.Contains(cmd, `od -An -v -tu1 -N80 -- "$src"`) || !strings.Contains(cmd, "@@fail external-data") {
		t.Errorf("no external data file guard:\n%s", cmd)
	}
	if !strings.Contains(cmd, "count=8 conv=notrunc") || !strings.Contains(cmd, "sleep 1") {
		t.Errorf("rate limit not applied:\n%s", cmd)
	}
	if c, _ := DrillCleanupCommand("/var/tmp", "7"); c != "rm -rf -- '/var/tmp/hvconsole-drill-7'" {
		t.Errorf("cleanup %q", c)
	}
}

func TestHyperVDrillScript(t *testing.T) {
	s := DrillSpec{ID: "17-3", File: `D:\Backups\dc 01.vhdx`, Level: DrillL1, RestoreDir: `E:\Restore`}
	script, err := HyperVDrillScript(s)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := IdentifyHyperVScript(script)
	if !ok || got.Kind != ScriptDrill || got.Drill.File != s.File || got.Drill.RestoreDir != s.RestoreDir || got.Drill.Level != DrillL1 || got.Drill.ID != s.ID {
		t.Errorf("identify: %+v %v", got, ok)
	}
	if _, ok := IdentifyHyperVScript(strings.Replace(script, "Remove-Item", "Remove-Itemx", 1)); ok {
		t.Error("an altered drill script was recognised")
	}
	for _, bad := range []DrillSpec{
		{ID: "1", File: `D:\a$b.vhdx`, Level: DrillL1, RestoreDir: `E:\R`},
		{ID: "1", File: `D:\a.vhdx`, Level: DrillL1, RestoreDir: `/var/tmp`},
		{ID: "x/y", File: `D:\a.vhdx`, Level: DrillL0},
	} {
		if _, err := HyperVDrillScript(bad); !errors.Is(err, ErrBadArgument) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
