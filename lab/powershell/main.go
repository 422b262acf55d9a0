// Command powershell.exe is the test lab's stand-in for Windows PowerShell
// 5.1 on a Hyper-V lab host (lab.sh hyperv N SCENARIO). It is not
// PowerShell: it runs no script. It accepts exactly the command line
// hvconsole sends to Windows hosts,
//
//	powershell.exe -NoProfile -NonInteractive -EncodedCommand <base64 of UTF-16LE>
//
// decodes the script, recognises it as one of hvconsole's (the constant
// scripts compared byte for byte; the parameterised ones rebuilt with the
// hosts builders from the values read out of them), refuses anything else
// as PowerShell refuses a blocked script (stderr, exit 1), and answers from
// the host's scenario directory /srv/hyperv: one file per script kind, in
// PowerShell 7's JSON shape. Restart-Service of a service the scenario
// lists sets it Running in hypervisor.json, so the next probe sees it.
//
// The Windows side is simulated from documented output shapes; nothing
// here has run against a real Windows host.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// scenarioDir is where lab.sh hyperv installs a host's scenario; /srv is a
// per-host bind mount, so every lab host has its own.
const scenarioDir = "/srv/hyperv"

// wantFlags are the arguments before the encoded script, in this order,
// exactly as remote.EncodedCommand writes them.
var wantFlags = []string{"-NoProfile", "-NonInteractive", "-EncodedCommand"}

// errUsage is a command line other than the one hvconsole sends.
var errUsage = errors.New("powershell: unexpected command line")

func main() {
	os.Exit(run(os.Args[1:], scenarioDir, os.Stdout, os.Stderr))
}

// run is the whole program with its scenario directory and output streams
// as parameters, so tests drive it in process. It returns the exit code.
func run(args []string, dir string, stdout, stderr io.Writer) int {
	script, err := decodeArgs(args)
	if err != nil {
		fmt.Fprint(stderr, psError(err.Error(), "InvalidArgument", "PositionalParameterNotFound"))
		return 1
	}
	kind, value, ok := identify(script)
	if !ok {
		fmt.Fprint(stderr, psError("hvlab stand-in: refusing a script that hvconsole does not send",
			"SecurityError", "UnauthorizedAccess"))
		return 1
	}
	out, err := answer(dir, kind, value)
	var f *psFailure
	switch {
	case errors.As(err, &f):
		fmt.Fprint(stderr, psError(f.msg, f.category, f.id))
		return 1
	case err != nil:
		fmt.Fprint(stderr, psError(err.Error(), "ObjectNotFound", "HvlabScenario"))
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}

// decodeArgs checks the command line and returns the decoded script.
func decodeArgs(args []string) (string, error) {
	if len(args) != len(wantFlags)+1 {
		return "", fmt.Errorf("%w: %d arguments, want %d", errUsage, len(args), len(wantFlags)+1)
	}
	for i, f := range wantFlags {
		if args[i] != f {
			return "", fmt.Errorf("%w: argument %d is %q, want %s", errUsage, i+1, args[i], f)
		}
	}
	cmd := "powershell.exe " + strings.Join(args, " ")
	script, ok := remote.DecodeEncodedCommand(cmd)
	if !ok {
		return "", fmt.Errorf("%w: the value of -EncodedCommand is not base64 of UTF-16LE text", errUsage)
	}
	return script, nil
}

// psError formats an error the way powershell.exe writes a terminating
// error to stderr over SSH (CRLF line ends, as on Windows).
func psError(msg, category, id string) string {
	return msg + "\r\n" +
		"    + CategoryInfo          : " + category + ": (:) [], ParentContainsErrorRecordException\r\n" +
		"    + FullyQualifiedErrorId : " + id + "\r\n"
}
