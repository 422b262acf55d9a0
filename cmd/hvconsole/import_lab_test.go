package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes"
)

// ansibleFixture writes the same fleet as an INI and as a YAML Ansible
// inventory, each with group_vars and host_vars files: two KVM hosts (lab
// hosts 35 and 36) and a Windows host. It returns both inventory paths.
func ansibleFixture(t *testing.T, dir string, lab *labtest.Lab) (string, string) {
	t.Helper()
	a, b := lab.Host(labAliasJump).Address, lab.Host(labAliasTarget).Address
	vars := map[string]string{
		"group_vars/kvm.yml": fmt.Sprintf("ansible_user: root\nansible_ssh_private_key_file: %s\nansible_python_interpreter: /usr/bin/python3\n", lab.IdentityFile),
		"group_vars/windows.yml": "ansible_connection: ssh\nansible_shell_type: powershell\nansible_user: Administrator\n" +
			"ansible_password: hunter2\n",
		"group_vars/dc1.yml":          "ntp_server: 10.0.0.1\n",
		"host_vars/lab-kvm-b.yml":     "rack: b2\nansible_port: 22\n",
		"host_vars/hv-01.yml":         "ansible_host: 192.0.2.50\n",
		"host_vars/lab-kvm-a/net.yml": fmt.Sprintf("ansible_host: %s\n", a),
	}
	files := map[string]string{
		"ini/hosts.ini": fmt.Sprintf("[kvm]\nlab-kvm-a\nlab-kvm-b ansible_host=%s\n\n[windows]\nhv-01\n\n[dc1:children]\nkvm\nwindows\n", b),
		"yaml/hosts.yml": fmt.Sprintf("all:\n  children:\n    dc1:\n      children:\n        kvm:\n          hosts:\n            lab-kvm-a:\n"+
			"            lab-kvm-b:\n              ansible_host: %s\n        windows:\n          hosts:\n            hv-01:\n", b),
	}
	for name, body := range vars {
		files["ini/"+name] = body
		files["yaml/"+name] = body
	}
	writeFiles(t, dir, files)
	return filepath.Join(dir, "ini", "hosts.ini"), filepath.Join(dir, "yaml", "hosts.yml")
}

// TestImportAnsibleLab runs the real ansible-inventory (Debian's
// ansible-core) on INI and YAML inventories with groups, group_vars and
// host_vars and a Windows host: both give the same inventory (the golden
// file), it validates as written, and check reaches the lab hosts in it.
// Regenerate with: go test ./cmd/hvconsole -run TestImportAnsibleLab -update
func TestImportAnsibleLab(t *testing.T) {
	lab := labtest.Require(t)
	if _, err := exec.LookPath("ansible-inventory"); err != nil {
		t.Fatalf("ansible-inventory is needed (lab/lab.sh install brings ansible-core): %v", err)
	}
	if !lab.Has(labAliasTarget) {
		t.Fatalf("the lab has no host %d: start it with lab/lab.sh up 36", labAliasTarget)
	}
	dir := t.TempDir()
	ini, yaml := ansibleFixture(t, dir, lab)
	// Known hosts come from ssh_config here, as on an operator's machine.
	sshConfig := writeFiles(t, filepath.Join(dir, "ssh"), map[string]string{"config": "Host *\n  UserKnownHostsFile " + lab.KnownHosts + "\n"}) + "/config"
	t.Setenv("HVCONSOLE_SSH_CONFIG", sshConfig)

	code, fromINI, stderr := runCapture(t, "import", "ansible", "-i", ini, "--group-tag")
	if code != exitOK {
		t.Fatalf("import ansible (INI): exit %d: %s", code, stderr)
	}
	code, fromYAML, stderr := runCapture(t, "import", "ansible", "-i", yaml, "--group-tag")
	if code != exitOK {
		t.Fatalf("import ansible (YAML): exit %d: %s", code, stderr)
	}
	if strings.Replace(fromYAML, yaml, ini, 1) != fromINI {
		t.Errorf("INI and YAML inventories differ:\n%s\n---\n%s", fromINI, fromYAML)
	}
	normal := strings.NewReplacer(dir, "$DIR", lab.Dir, "$LAB", lab.Host(labAliasJump).Address, "$ADDR_A",
		lab.Host(labAliasTarget).Address, "$ADDR_B").Replace(fromINI)
	golden.RequireEqual(t, []byte(normal))
	if strings.Contains(fromINI, "hunter2") {
		t.Error("the imported inventory holds a secret")
	}

	doc := validateAndCheck(t, fromINI, "--host", "lab-kvm-a", "--host", "lab-kvm-b")
	for _, n := range []string{"lab-kvm-a", "lab-kvm-b"} {
		if h := hostByName(t, doc, n); h.Status != probes.OK {
			t.Errorf("%s = %s, want OK", n, h.Status)
		}
	}
}

// validateAndCheck proves an imported inventory validates as written, then
// runs check on it with the lab's libvirt test driver and the read-only
// checks added (in [defaults], after the imported hosts).
func validateAndCheck(t *testing.T, imported string, args ...string) checkJSON {
	t.Helper()
	inv := filepath.Join(t.TempDir(), "imported.toml")
	if err := os.WriteFile(inv, []byte(imported), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := runCapture(t, "validate", "--config", inv); code != exitOK {
		t.Fatalf("the imported inventory does not validate as written: exit %d\n%s%s", code, out, stderr)
	}
	probed := imported + fmt.Sprintf("\n[defaults]\nlibvirt_uri = %q\nchecks = [\"ssh\", \"hypervisor\", \"vms\"]\n", labtest.LibvirtURI)
	if err := os.WriteFile(inv, []byte(probed), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, code, stderr := runJSON(t, inv, args...)
	if code != exitOK {
		t.Fatalf("check of the imported hosts: exit %d, %s, %+v", code, stderr, doc)
	}
	return doc
}
