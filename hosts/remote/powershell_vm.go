package remote

import (
	"fmt"
	"strings"
)

// hyperVVMVerbs are the cmdlets of each VM operation, applied to the one VM
// found by exact name.
var hyperVVMVerbs = map[string]string{
	VMStart:   "Start-VM -VM $v[0] -ErrorAction Stop",
	VMResume:  "Resume-VM -VM $v[0] -ErrorAction Stop",
	VMDestroy: "Stop-VM -VM $v[0] -TurnOff -Force -ErrorAction Stop",
}

// HyperVVMScript carries out op on the VM named name. The name goes in as
// a single-quoted literal after VMNameProblem passed it, and is compared
// with -eq against Get-VM's list rather than given to -Name, which reads
// wildcards: "web*" must never start every web VM. No VM or two VMs of
// that name fail the script (exit 1) before anything is done.
func HyperVVMScript(op, name string) (string, error) {
	verb, ok := hyperVVMVerbs[op]
	if !ok || VMNameProblem(name) != "" {
		return "", fmt.Errorf("%w: VM %s %q", ErrBadArgument, op, name)
	}
	return psPreamble + "$n=" + PSQuote(name) + "\n" +
		"$v=@(Get-VM -ErrorAction Stop|Where-Object{$_.Name -eq $n})\n" +
		"if($v.Count -ne 1){throw ('expected one VM named '+$n+', found '+$v.Count)}\n" +
		verb + "\n", nil
}

// HyperVVMCommand is HyperVVMScript as a powershell.exe command.
func HyperVVMCommand(op, name string) (string, error) {
	s, err := HyperVVMScript(op, name)
	if err != nil {
		return "", err
	}
	return EncodedCommand(s), nil
}

// rebuildVM recognises a VM operation script: its name read back, each
// operation's script built again and compared byte for byte.
func rebuildVM(script string) (op, name string, ok bool) {
	_, rest, found := strings.Cut(script, "$n=")
	if !found {
		return "", "", false
	}
	name, _, found = psUnquote(rest)
	if !found {
		return "", "", false
	}
	for _, op := range VMOps {
		if again, err := HyperVVMScript(op, name); err == nil && again == script {
			return op, name, true
		}
	}
	return "", "", false
}
