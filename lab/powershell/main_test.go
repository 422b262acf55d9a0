package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/hvconsole/hvconsole/hosts/remote"
)

// The scenario tests run the real Hyper-V probe in process: no goroutine
// may outlive a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scenario copies lab/hyperv/healthy and then lab/hyperv/name (its files
// replace healthy's) into a temporary folder, as lab.sh hyperv does.
func scenario(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range []string{"healthy", name} {
		files, err := filepath.Glob(filepath.Join("..", "hyperv", s, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("scenario %s: no files (%v)", s, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// invoke runs the stand-in on a command line as sshd's shell would split it.
func invoke(dir, cmd string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = run(strings.Fields(cmd)[1:], dir, &out, &errb)
	return out.String(), errb.String(), code
}

func mustBuild(t *testing.T, script string, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return remote.EncodedCommand(script)
}

func scenarioFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestAnswers(t *testing.T) {
	resources, rerr := remote.HyperVResourcesScript([]string{`D:\Hyper-V`, `C:\VM Store\hv (01)`})
	noPaths, nerr := remote.HyperVResourcesScript(nil)
	backups, berr := remote.HyperVBackupsScript(remote.BackupQuery{Path: `D:\Backups\*.vhdx`, Verify: remote.VerifySHA256, WSB: true})
	tests := []struct {
		name, cmd, file string
	}{
		{"hypervisor", remote.EncodedCommand(remote.HyperVHypervisorScript), "hypervisor.json"},
		{"vms", remote.EncodedCommand(remote.HyperVVMsScript), "vms.json"},
		{"journal", remote.EncodedCommand(remote.HyperVJournalScript), "journal.txt"},
		{"resources with paths", mustBuild(t, resources, rerr), "resources.json"},
		{"resources with the host's own paths", mustBuild(t, noPaths, nerr), "resources.json"},
		{"backups", mustBuild(t, backups, berr), "backups.json"},
	}
	dir := scenario(t, "healthy")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := invoke(dir, tc.cmd)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if want := scenarioFile(t, dir, tc.file); strings.ReplaceAll(strings.TrimSpace(out), "\r\n", "\n") != want {
				t.Errorf("output %q, want the contents of %s", out, tc.file)
			}
			if !strings.HasSuffix(out, "\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
				t.Errorf("output %q does not use Windows line ends", out)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	good := remote.EncodedCommand(remote.HyperVVMsScript)
	b64 := strings.Fields(good)[4]
	restart, err := remote.HyperVRestartScript("vmms")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, cmd, stderr string
	}{
		{"a script that is not ours", remote.EncodedCommand("Get-Process | Stop-Process"), "refusing a script"},
		{"our script with a line added", remote.EncodedCommand(remote.HyperVVMsScript + "Remove-VM dc01 -Force\n"), "refusing a script"},
		{"our script with a space added", remote.EncodedCommand(" " + remote.HyperVHypervisorScript), "refusing a script"},
		{"a restart with a command in the name", remote.EncodedCommand(strings.Replace(restart, "'vmms'", "'vmms';Stop-Computer", 1)), "refusing a script"},
		{"a restart of an invalid name", remote.EncodedCommand(strings.Replace(restart, "'vmms'", "'a b'", 1)), "refusing a script"},
		{"resources with a path that fails validation", remote.EncodedCommand(strings.Replace(mustResources(t), `'D:\VMs'`, `'D:\$(rm)'`, 1)), "refusing a script"},
		{"a plain -Command", "powershell.exe -NoProfile -NonInteractive -Command Get-VM", "argument 3"},
		{"flags in another order", "powershell.exe -NonInteractive -NoProfile -EncodedCommand " + b64, "argument 1"},
		{"a missing flag", "powershell.exe -NoProfile -EncodedCommand " + b64, "3 arguments"},
		{"an extra argument", good + " -Command x", "6 arguments"},
		{"not base64", "powershell.exe -NoProfile -NonInteractive -EncodedCommand R2V0LVZN!", "not base64"},
		{"odd byte count", "powershell.exe -NoProfile -NonInteractive -EncodedCommand QUJD", "not base64"},
	}
	dir := scenario(t, "healthy")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := invoke(dir, tc.cmd)
			if code != 1 || out != "" || !strings.Contains(stderr, tc.stderr) || !strings.Contains(stderr, "FullyQualifiedErrorId") {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, no output, stderr naming %q", code, out, stderr, tc.stderr)
			}
		})
	}
}

func mustResources(t *testing.T) string {
	t.Helper()
	s, err := remote.HyperVResourcesScript([]string{`D:\VMs`})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMissingScenario(t *testing.T) {
	out, stderr, code := invoke(filepath.Join(t.TempDir(), "none"), remote.EncodedCommand(remote.HyperVHypervisorScript))
	if code != 1 || out != "" || !strings.Contains(stderr, "lab.sh hyperv") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestRestartService walks the vmms-stopped scenario: Get-VM fails while
// vmms is stopped, Restart-Service of an unknown service fails as on
// Windows, Restart-Service vmms sets it Running in hypervisor.json (other
// fields kept) and Get-VM answers again.
func TestRestartService(t *testing.T) {
	dir := scenario(t, "vmms-stopped")
	before := scenarioFile(t, dir, "hypervisor.json")
	vms := remote.EncodedCommand(remote.HyperVVMsScript)
	restart := func(svc string) (string, string, int) {
		cmd, err := remote.HyperVRestartCommand(svc)
		if err != nil {
			t.Fatal(err)
		}
		return invoke(dir, cmd)
	}

	out, _, code := invoke(dir, vms)
	var doc struct {
		VMs   []json.RawMessage
		Error string
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || len(doc.VMs) != 0 ||
		!strings.Contains(doc.Error, "Virtual Machine Management service") {
		t.Fatalf("Get-VM with vmms stopped: exit %d, %q (%v)", code, out, err)
	}

	for _, svc := range []string{"spooler", "NotFoundService"} {
		out, stderr, code := restart(svc)
		if code != 1 || out != "" || !strings.Contains(stderr, "Cannot find any service with service name '"+svc+"'") {
			t.Errorf("restart %s: exit %d, stdout %q, stderr %q", svc, code, out, stderr)
		}
	}
	if got := scenarioFile(t, dir, "hypervisor.json"); got != before {
		t.Fatalf("a failed restart changed hypervisor.json:\n%s", got)
	}

	if out, stderr, code := restart("vmms"); code != 0 || out != "" || stderr != "" {
		t.Fatalf("restart vmms: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if want := strings.Replace(before, `"Status":"Stopped"`, `"Status":"Running"`, 1); scenarioFile(t, dir, "hypervisor.json") != want {
		t.Errorf("hypervisor.json after the restart:\n%s\nwant\n%s", scenarioFile(t, dir, "hypervisor.json"), want)
	}
	if out, _, _ := invoke(dir, vms); strings.ReplaceAll(strings.TrimSpace(out), "\r\n", "\n") != scenarioFile(t, dir, "vms.json") {
		t.Errorf("Get-VM after the restart: %q", out)
	}
	if j := scenarioFile(t, dir, "journal.txt"); !strings.HasSuffix(j, "14094 The Virtual Machine Management service started successfully.") {
		t.Errorf("journal.txt after the restart:\n%s", j)
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add(remote.HyperVHypervisorScript)
	f.Add(remote.HyperVJournalScript)
	if s, err := remote.HyperVRestartScript("vmms"); err == nil {
		f.Add(s)
		f.Add(strings.Replace(s, "'vmms'", "'vm''ms'", 1))
	}
	if s, err := remote.HyperVBackupsScript(remote.BackupQuery{Path: `D:\B\*.vhdx`, WSB: true}); err == nil {
		f.Add(s)
	}
	f.Add(mustResourcesF(f))
	f.Add("$p=@('C:\\x','")
	f.Add("Restart-Service -Name '")
	f.Fuzz(func(t *testing.T, script string) {
		kind, value, ok := identify(script)
		if !ok {
			return
		}
		// Whatever is accepted must be exactly what a builder makes.
		var again string
		var err error
		switch kind {
		case kindRestart:
			again, err = remote.HyperVRestartScript(value)
		case kindHypervisor, kindVMs, kindJournal, kindResources, kindBackups:
			if !strings.HasPrefix(script, strings.SplitN(remote.HyperVVMsScript, "\n", 2)[0]) {
				t.Fatalf("accepted %s script without the preamble: %q", kind, script)
			}
			return
		default:
			t.Fatalf("unknown kind %q", kind)
		}
		if err != nil || again != script {
			t.Fatalf("accepted a %s script no builder makes: %q (%v)", kind, script, err)
		}
	})
}

func mustResourcesF(f *testing.F) string {
	s, err := remote.HyperVResourcesScript([]string{`D:\VMs`, `E:\VM Store`})
	if err != nil {
		f.Fatal(err)
	}
	return s
}
