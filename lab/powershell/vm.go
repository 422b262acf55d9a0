package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// vmsDoc is vms.json: each VM's fields kept as they are but State.
type vmsDoc struct {
	VMs   []map[string]json.RawMessage
	Error json.RawMessage
}

// vmOp is Start-VM, Resume-VM or Stop-VM -TurnOff on the one VM of that
// name in vms.json (the script's own "expected one VM" failure otherwise),
// written back so the next probe sees it. A VM in a state the cmdlet does
// not act on fails as Hyper-V fails it.
func vmOp(dir, op, name string) error {
	if _, err := answerVMs(dir); err != nil {
		return err // vmms stopped: Get-VM fails first
	}
	text, err := readScenario(dir, "vms.json")
	if err != nil {
		return err
	}
	var doc vmsDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("hvlab stand-in: %s/vms.json: %w", dir, err)
	}
	var found []map[string]json.RawMessage
	for _, v := range doc.VMs {
		var n string
		if json.Unmarshal(v["Name"], &n) == nil && strings.EqualFold(n, name) {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		return &psFailure{msg: fmt.Sprintf("expected one VM named %s, found %d", name, len(found)),
			category: "OperationStopped", id: "expected one VM"}
	}
	var state string
	_ = json.Unmarshal(found[0]["State"], &state)
	next, cmdlet, ok := vmTransition(op, state)
	if !ok {
		return &psFailure{msg: fmt.Sprintf("%s : '%s' failed to change state. The operation cannot be performed while the object is in its current state (%s).", cmdlet, name, state),
			category: "InvalidOperation", id: "InvalidState," + cmdlet}
	}
	found[0]["State"], _ = json.Marshal(next)
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("hvlab stand-in: %w", err)
	}
	return writeAtomic(filepath.Join(dir, "vms.json"), append(b, '\n'))
}

// vmTransition is the state op leads to from state, and its cmdlet.
func vmTransition(op, state string) (next, cmdlet string, ok bool) {
	switch op {
	case remote.VMStart:
		return "Running", "Start-VM", state == "Off"
	case remote.VMResume:
		return "Running", "Resume-VM", state == "Paused"
	}
	return "Off", "Stop-VM", state != "Off"
}
