package main

import "github.com/hvconsole/hvconsole/hosts"

// Script kinds, named after the scenario file that answers them.
const (
	kindHypervisor = hosts.ScriptHypervisor
	kindVMs        = hosts.ScriptVMs
	kindResources  = hosts.ScriptResources
	kindBackups    = hosts.ScriptBackups
	kindJournal    = hosts.ScriptJournal
	kindRestart    = hosts.ScriptRestart
	kindVM         = hosts.ScriptVM
)

// identify names the kind of one of hvconsole's scripts, and the service
// of a restart or "OP NAME" of a VM operation; ok is false for any other
// script.
func identify(script string) (kind, value string, ok bool) {
	s, ok := hosts.IdentifyHyperVScript(script)
	if s.Kind == kindVM {
		return s.Kind, s.VMOp + " " + s.VM, ok
	}
	return s.Kind, s.Service, ok
}
