package hosts

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkLoad1000Hosts measures loading a large inventory (decode, index,
// validation, jump resolution); startup cost grows with the fleet.
func BenchmarkLoad1000Hosts(b *testing.B) {
	var doc strings.Builder
	// ssh_config resolution is measured on its own below.
	doc.WriteString("ssh_config = \"off\"\n[defaults]\nuser = \"ops\"\n[[hosts]]\nname = \"bastion\"\naddress = \"10.0.0.1\"\n")
	for i := range 1000 {
		fmt.Fprintf(&doc, "[[hosts]]\nname = \"kvm-%04d\"\naddress = \"10.1.%d.%d\"\ntags = [\"rack-%d\"]\njump = \"bastion\"\n",
			i, i/250, i%250+1, i%20)
	}
	path := writeConfig(b, doc.String())
	opts := hermetic()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadWith(path, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSSHConfigResolve100Hosts measures resolving 100 name-only hosts
// through ssh_config: a fresh resolver (one `ssh -G` per host, 8 at a time)
// against the parse fallback on the same file.
func BenchmarkSSHConfigResolve100Hosts(b *testing.B) {
	var doc strings.Builder
	for i := range 100 {
		fmt.Fprintf(&doc, "[[hosts]]\nname = \"kvm-%03d\"\n", i)
	}
	dir := b.TempDir()
	sshConfig := dir + "/ssh_config"
	if err := os.WriteFile(sshConfig, []byte("Host kvm-*\n  HostName 10.0.0.%h\n  User ops\n  Port 2222\nHost *\n  ConnectTimeout 4\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{SSHConfigSSH, SSHConfigParse} {
		b.Run(mode, func(b *testing.B) {
			if _, err := exec.LookPath("ssh"); err != nil && mode == SSHConfigSSH {
				b.Skip("no ssh binary")
			}
			path := writeConfig(b, "ssh_config = \""+mode+"\"\n"+doc.String())
			opts := hermetic()
			b.ReportAllocs()
			for b.Loop() {
				opts.SSH = NewSSHResolver(SSHResolverOptions{File: sshConfig}, opts.Getenv)
				if _, err := LoadWith(path, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
