package hosts

import (
	"slices"
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

func TestVMActionsConfig(t *testing.T) {
	cfg := mustLoad(t, `
[[hosts]]
name = "a"
address = "10.0.0.1"

[[hosts]]
name = "b"
address = "10.0.0.2"
vm_actions = ["start", "resume", "destroy"]
`, hermetic())
	if a := hostByName(t, cfg, "a"); !slices.Equal(a.VMActions, DefaultVMActions) || a.VMAllowed(VMDestroy) {
		t.Errorf("default vm_actions %v", a.VMActions)
	}
	if b := hostByName(t, cfg, "b"); !b.VMAllowed(VMDestroy) {
		t.Errorf("b vm_actions %v", b.VMActions)
	}
	_, err := LoadWith(writeConfig(t, `[defaults]
vm_actions = ["start", "destory", "start"]

[[hosts]]
name = "a"
address = "10.0.0.1"
`), hermetic())
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{`:2:`, `unknown VM action "destory"`, `did you mean "destroy"`, `VM action "start" listed twice`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}
