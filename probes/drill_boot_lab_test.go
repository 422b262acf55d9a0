package probes

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// labBootHost is the lab host of the boot drill's libvirt test: 46, shared
// with the VM actions, since the test driver keeps each connection's
// changes to itself.
const labBootHost = 46

// The boot drill's libvirt calls against a real libvirtd (the lab's test
// driver, which cannot boot a guest): its real capabilities offer no KVM;
// a transient domain made with DomainCreateXML passes the reply guard; a
// guest-ping travels the QEMU program and comes back as libvirt's own
// refusal (the test driver has no guest agent); destroying the transient
// domain makes it gone, and destroying it again by name is no error.
func TestLabBootDrillLibvirt(t *testing.T) {
	l := labtest.Require(t)
	cfg, err := hosts.Load(l.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cfg.Hosts, func(h hosts.Host) bool { return h.Name == l.Host(labBootHost).Name })
	h := cfg.Hosts[i]
	pool := sshx.NewPool(sshx.Options{KeepaliveInterval: time.Second})
	t.Cleanup(func() { pool.Close() })
	conn, err := NewSSHTransport(pool).Connect(t.Context(), h)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenBootDrill(t.Context(), conn, h)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if arch, err := b.KVMArch(t.Context()); !errors.Is(err, remote.ErrNoKVM) {
		t.Errorf("KVMArch on the test driver = %q, %v; want ErrNoKVM", arch, err)
	}
	err = b.Start(t.Context(), `<domain type='test'><name>hvconsole-drill-lab-0123abcd</name><memory>65536</memory><os><type>hvm</type></os></domain>`)
	t.Logf("Start with VIR_DOMAIN_START_AUTODESTROY on the test driver: %v", err)
	if err != nil && !errors.Is(err, ErrBootRefused) {
		t.Fatalf("Start: %v, want success or a refusal", err)
	}
	if err != nil { // the test driver refuses the flag: create without it
		b.dom, err = call(t.Context(), b.s, "DomainCreateXML", func(api libvirtAPI) (libvirt.Domain, error) {
			return api.DomainCreateXML(`<domain type='test'><name>hvconsole-drill-lab-0123abcd</name><memory>65536</memory><os><type>hvm</type></os></domain>`, 0)
		})
		if err != nil {
			t.Fatalf("DomainCreateXML: %v", err)
		}
	}
	err = b.ping(t.Context(), 1)
	t.Logf("guest-ping on the test driver: %v", err)
	if !errors.Is(err, errAgentRefused) {
		t.Errorf("guest-ping = %v, want libvirt's refusal of the agent command", err)
	}
	if err := b.Destroy(t.Context()); err != nil {
		t.Errorf("Destroy: %v", err)
	}
	_, err = call(t.Context(), b.s, "lookup", func(api libvirtAPI) (libvirt.Domain, error) {
		return api.DomainLookupByName("hvconsole-drill-lab-0123abcd")
	})
	if !libvirt.IsNotFound(err) {
		t.Errorf("the destroyed transient domain: lookup %v, want not found", err)
	}
	if err := DestroyDrillDomain(t.Context(), conn, h, "hvconsole-drill-lab-0123abcd"); err != nil {
		t.Errorf("destroying a domain that is gone: %v", err)
	}
}
