package main

import (
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// Script kinds, named after the scenario file that answers them.
const (
	kindHypervisor = remote.ScriptHypervisor
	kindVMs        = remote.ScriptVMs
	kindResources  = remote.ScriptResources
	kindBackups    = remote.ScriptBackups
	kindJournal    = remote.ScriptJournal
	kindRestart    = remote.ScriptRestart
	kindVM         = remote.ScriptVM
)

// identify names the kind of one of hvconsole's scripts, and the service
// of a restart or "OP NAME" of a VM operation; ok is false for any other
// script.
func identify(script string) (kind, value string, ok bool) {
	s, ok := remote.IdentifyHyperVScript(script)
	if s.Kind == kindVM {
		return s.Kind, s.VMOp + " " + s.VM, ok
	}
	return s.Kind, s.Service, ok
}
