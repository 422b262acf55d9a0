package remote

import (
	"strings"
	"testing"
)

func TestVMNameProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"web01", true},
		{"db prod (old)", true},
		{"web*", true}, // a wildcard is a plain character to -eq and to libvirt
		{"ünïcode-vm", true},
		{"", false},
		{strings.Repeat("x", MaxVMName+1), false},
		{" web", false},
		{"web\n", false},
		{"web'; Stop-Computer; '", false},
		{"web\u2019s", false},
		{`web"`, false},
		{"web$env:x", false},
		{"web`n", false},
		{"web\u202edisplay", false},
		{"web\x00", false},
		{"\xff", false},
	} {
		if got := VMNameProblem(tc.name) == ""; got != tc.ok {
			t.Errorf("VMNameProblem(%q) = %q, want ok=%v", tc.name, VMNameProblem(tc.name), tc.ok)
		}
	}
}

func TestHyperVVMScriptRoundTrip(t *testing.T) {
	for _, op := range VMOps {
		for _, name := range []string{"web01", "db prod (old)", "web*"} {
			cmd, err := HyperVVMCommand(op, name)
			if err != nil {
				t.Fatalf("%s %q: %v", op, name, err)
			}
			if len(cmd) > MaxCommandLine {
				t.Errorf("%s %q: %d characters", op, name, len(cmd))
			}
			script, ok := DecodeEncodedCommand(cmd)
			if !ok {
				t.Fatalf("%s %q: does not decode", op, name)
			}
			id, ok := IdentifyHyperVScript(script)
			if !ok || id.Kind != ScriptVM || id.VMOp != op || id.VM != name {
				t.Errorf("%s %q: identified as %+v %v", op, name, id, ok)
			}
			if !strings.Contains(script, "-eq $n") || strings.Contains(script, "-Name") {
				t.Errorf("%s %q: the name must be compared, never given to -Name:\n%s", op, name, script)
			}
		}
	}
	for _, bad := range [][2]string{{"reboot", "web"}, {VMStart, "x'y"}, {VMDestroy, ""}} {
		if _, err := HyperVVMScript(bad[0], bad[1]); err == nil {
			t.Errorf("HyperVVMScript(%q, %q) built", bad[0], bad[1])
		}
	}
	// a script altered after it was built is not ours
	s, _ := HyperVVMScript(VMStart, "web")
	if _, ok := IdentifyHyperVScript(strings.Replace(s, "Start-VM", "Stop-VM", 1)); ok {
		t.Error("an altered script was recognised")
	}
}
