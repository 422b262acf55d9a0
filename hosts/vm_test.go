package hosts

import (
	"slices"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

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
	if a := hostByName(t, cfg, "a"); !slices.Equal(a.VMActions, DefaultVMActions) || a.VMAllowed(remote.VMDestroy) {
		t.Errorf("default vm_actions %v", a.VMActions)
	}
	if b := hostByName(t, cfg, "b"); !b.VMAllowed(remote.VMDestroy) {
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
