package hosts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

func TestHyperVBackupSpecs(t *testing.T) {
	doc := `
[[hosts]]
name = "win1"
address = "10.0.0.5"
hypervisor = "hyperv"
services = ["vmms"]

[[hosts.backups]]
name = "vhdx"
path = 'D:\Backups\*.vhdx'
max_age = "26h"
verify = "sha256"
wsb = true
`
	cfg := mustLoad(t, doc, hermetic())
	h := hostByName(t, cfg, "win1")
	want := []Backup{{Name: "vhdx", Path: `D:\Backups\*.vhdx`, MaxAge: 26 * 3600e9, Verify: remote.VerifySHA256, WSB: true}}
	if diff := cmp.Diff(want, h.Backups); diff != "" {
		t.Errorf("backups (-want +got):\n%s", diff)
	}
	if h.Hypervisor != KindHyperV || !h.Allowed("vmms") {
		t.Errorf("host %+v", h)
	}
}

func TestHyperVBackupSpecProblems(t *testing.T) {
	doc := `
[defaults]
[[defaults.backups]]
name = "posix"
path = "/srv/backups/*.qcow2"
max_age = "26h"
verify = "qemu-img"

[[hosts]]
name = "win1"
address = "10.0.0.5"
hypervisor = "hyperv"

[[hosts]]
name = "win2"
address = "10.0.0.6"
hypervisor = "hyperv"

[[hosts]]
name = "kvm1"
address = "10.0.0.7"

[[hosts.backups]]
name = "win-on-kvm"
path = 'D:\Backups\*.vhdx'
max_age = "26h"
wsb = true

[[hosts]]
name = "bad"
address = "10.0.0.8"
hypervisor = "hyperv"

[[hosts.backups]]
name = "quote"
path = "D:\\it's\\*"
max_age = "26h"
`
	matchProblems(t, problemsOf(t, doc, hermetic()), []string{
		"5:8 defaults.backups[0].path | of a hyperv host",
		"7:10 defaults.backups[0].verify | qemu-img",
		"25:8 hosts[2].backups[0].path | hyperv",
		"27:7 hosts[2].backups[0].wsb | Windows Server Backup",
		"36:8 hosts[3].backups[0].path | invalid Windows backup path",
	})
}
