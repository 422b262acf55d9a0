package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes/actions"
)

func TestConfirm(t *testing.T) {
	one := []hosts.Host{{Name: "a", Address: "10.0.0.1"}}
	three := []hosts.Host{{Name: "a"}, {Name: "b", Sudo: true}, {Name: "c"}}
	tests := []struct {
		name   string
		hs     []hosts.Host
		answer string
		ok     bool
	}{
		{"one host, yes", one, "yes\n", true},
		{"one host, anything else", one, "y\n", false},
		{"one host, no answer", one, "", false},
		{"three hosts, the count", three, "3\n", true},
		{"three hosts, yes is not the count", three, "yes\n", false},
		{"three hosts, wrong count", three, "2\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w bytes.Buffer
			err := confirm(strings.NewReader(tc.answer), &w, tc.hs, "libvirtd")
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, actions.ErrCancelled)) {
				t.Fatalf("confirm(%q) = %v, want ok=%v", tc.answer, err, tc.ok)
			}
			if !strings.Contains(w.String(), "systemctl restart -- 'libvirtd'") {
				t.Fatalf("the plan does not show the exact command:\n%s", w.String())
			}
			if len(tc.hs) == 3 && !strings.Contains(w.String(), "sudo -n systemctl restart -- 'libvirtd'") {
				t.Fatalf("the sudo host's command is not shown:\n%s", w.String())
			}
		})
	}
}

func TestRestartUsage(t *testing.T) {
	for _, args := range [][]string{{"restart"}, {"restart", "--host", "a"}, {"restart", "--service", "libvirtd"}} {
		if code, _, stderr := runCapture(t, args...); code != exitUnknown || !strings.Contains(stderr, "--host and --service") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// The terminal prompt for a Hyper-V host shows the script its
// -EncodedCommand carries, decoded from the exact command, beside it.
func TestConfirmShowsHyperVScript(t *testing.T) {
	hv := []hosts.Host{{Name: "hv-01", Address: "10.0.0.9", Hypervisor: hosts.KindHyperV, Services: []string{"vmms"}}}
	var w bytes.Buffer
	if err := confirm(strings.NewReader("yes\n"), &w, hv, "vmms"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-EncodedCommand ", "script: $ProgressPreference='SilentlyContinue'",
		"        Restart-Service -Name 'vmms' -ErrorAction Stop\n"} {
		if !strings.Contains(w.String(), want) {
			t.Fatalf("the prompt lacks %q:\n%s", want, w.String())
		}
	}
}

// Without a terminal and without --yes, restart refuses before anything
// runs, and the audit log records the refusal with its real reason, not
// as "cancelled by the operator" (nobody was asked).
func TestRestartNoTerminalRefusal(t *testing.T) {
	firstRunHome(t, "")
	dir := t.TempDir()
	audit := filepath.Join(dir, "audit.jsonl")
	doc := fmt.Sprintf("ssh_config = \"off\"\naudit_log = %q\n[defaults]\nknown_hosts = [\"/dev/null\"]\n"+
		"services = [\"libvirtd\"]\n[[hosts]]\nname = \"kvm-01\"\naddress = \"127.0.0.1\"\nport = 1\n", audit)
	path := filepath.Join(dir, "fleet.toml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := &environment{stdout: &out, stderr: &errb, getenv: os.Getenv,
		tty: func() (*os.File, error) { return nil, errors.New("open /dev/tty: no such device or address") }}
	err := dispatch(t.Context(), env, []string{"restart", "--config", path, "--host", "kvm-01", "--service", "libvirtd"})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUnknown || !errors.Is(err, errNoTerminal) {
		t.Fatalf("restart without a terminal: %v, want exit %d and %v", err, exitUnknown, errNoTerminal)
	}
	recs := readAuditFile(t, audit)
	if len(recs) != 1 || recs[0].Phase != actions.PhaseRefused || recs[0].Outcome != "refused" || recs[0].Host != "kvm-01" {
		t.Fatalf("audit records %+v, want one refusal for kvm-01", recs)
	}
	if r := recs[0]; !strings.Contains(r.Error, "no terminal to confirm on") || strings.Contains(r.Error, actions.ErrCancelled.Error()) {
		t.Errorf("refusal recorded as %q, want the missing terminal, not %q", r.Error, actions.ErrCancelled)
	}
}

// Without a terminal each action says which --yes would do it, and stays
// errNoTerminal for errors.Is.
func TestOnTerminalSaysTheAction(t *testing.T) {
	for _, doing := range []string{"restart", "run the drill", "destroy the VMs"} {
		env := &environment{tty: func() (*os.File, error) { return nil, errors.New("no tty") }}
		err := onTerminal(env, doing, func(io.Reader, io.Writer) error { t.Fatal("asked without a terminal"); return nil })
		if want := "no terminal to confirm on; pass --yes to " + doing + " without asking"; err == nil || err.Error() != want || !errors.Is(err, errNoTerminal) {
			t.Errorf("onTerminal(%q) = %v, want %q (errNoTerminal)", doing, err, want)
		}
	}
}
