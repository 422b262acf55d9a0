package probes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// Lab tests of the virsh fallback. Host 25 runs sshd with
// AllowStreamLocalForwarding no (lab.sh HVLAB_NOFORWARD); host 26 is a
// normal host used as the control. The comparison host 5 is probes' own.
const (
	labNoForward = 25
	labControl   = 26
)

// labRemote connects to lab host n over a fresh pool, closed at the end.
func labRemote(t *testing.T, n int) (*labtest.Lab, hosts.Host, Conn) {
	t.Helper()
	l := labtest.Require(t)
	if !l.Has(n) {
		t.Skipf("lab has no host %d (lab.sh up 26)", n)
	}
	cfg, err := hosts.Load(l.ConfigPath)
	if err != nil {
		t.Fatalf("lab config: %v", err)
	}
	i := slices.IndexFunc(cfg.Hosts, func(h hosts.Host) bool { return h.Name == l.Host(n).Name })
	if i < 0 {
		t.Fatalf("lab host %d not in %s", n, l.ConfigPath)
	}
	h := cfg.Hosts[i]
	pool := sshx.NewPool(sshx.Options{KeepaliveInterval: time.Second})
	t.Cleanup(func() {
		if err := pool.Close(); err != nil {
			t.Errorf("pool close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r, err := NewSSHTransport(pool).Connect(ctx, h)
	if err != nil {
		t.Fatalf("connect %s: %v", h.Name, err)
	}
	return l, h, r
}

// dialLibvirt opens the libvirt socket channel as the probes do and
// returns the error (closing a channel that opened).
func dialLibvirt(t *testing.T, r Conn, h hosts.Host) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := r.DialUnix(ctx, h.LibvirtSocket)
	if err == nil {
		c.Close()
	}
	return err
}

// On a host that forbids socket forwarding the channel is refused, virsh
// decides that forwarding (not the daemon) is the problem, and its facts
// equal what the libvirt path reports for an identical host.
func TestLabVirshFallbackForwardingRefused(t *testing.T) {
	l, h, r := labRemote(t, labNoForward)
	dialErr := dialLibvirt(t, r, h)
	wantOpenFailed(t, dialErr)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	verdict, res, err := diagnoseTunnel(ctx, r, h, dialErr)
	if verdict != tunnelForwardingRefused || err != nil {
		t.Fatalf("verdict %v, error %v; want forwarding-refused", verdict, err)
	}
	t.Logf("virsh fallback: %s in %v, %d VMs", res.URI, res.Latency, len(res.VMs))

	_, s, hs := labFleet(t, 5)
	rep := s.Round(t.Context(), hs)[0]
	if rep.Status != OK {
		t.Fatalf("comparison host 5: %v %+v", rep.Status, rep.Checks)
	}
	if diff := cmp.Diff(rep.VMs, res.VMs); diff != "" || len(res.VMs) == 0 {
		t.Errorf("VMs: libvirt path on host 5 (-) vs virsh on host 25 (+):\n%s", diff)
	}
	f := hvFacts{libVer: res.Version.LibVersion, hvVer: res.Version.HVVersion, hvType: res.Version.HVType, answered: true}
	if got := f.reportVersion(); got != rep.Version {
		t.Errorf("version via virsh %q, libvirt path %q", got, rep.Version)
	}
	wantVirshNames(t, l, res.VMs)
}

// wantVirshNames compares the fallback's domains with virsh run directly
// inside host 25 through the daemon.
func wantVirshNames(t *testing.T, l *labtest.Lab, vms []VM) {
	t.Helper()
	out := l.Exec(t, labNoForward, "virsh", "-q", "-r", "-c", "test+unix:///etc/libvirt/node.xml", "list", "--all", "--name")
	var want, got []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			want = append(want, line)
		}
	}
	for _, v := range vms {
		got = append(got, v.Name)
	}
	slices.Sort(want)
	if !slices.Equal(want, got) {
		t.Errorf("fallback VMs %v, virsh on the host %v", got, want)
	}
}

// A normal host whose libvirtd is stopped refuses the channel the same way,
// but virsh cannot reach the daemon either: the daemon is down, and the
// fallback must not hide it. The same holds on host 25.
func TestLabVirshDaemonStoppedNotRefused(t *testing.T) {
	for _, n := range []int{labControl, labNoForward} {
		t.Run(fmt.Sprintf("host%d", n), func(t *testing.T) {
			l, h, r := labRemote(t, n)
			if n == labControl {
				if err := dialLibvirt(t, r, h); err != nil {
					t.Fatalf("healthy control host refused the channel: %v", err)
				}
			}
			l.Libvirtd(t, "stop", n)
			dialErr := dialLibvirt(t, r, h)
			wantOpenFailed(t, dialErr)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			verdict, _, err := diagnoseTunnel(ctx, r, h, dialErr)
			t.Logf("virsh with the daemon stopped: %v", err)
			var ve *virshError
			if verdict != tunnelDaemonDown || !errors.As(err, &ve) {
				t.Fatalf("verdict %v, error %v; want daemon-down with a *VirshError", verdict, err)
			}
		})
	}
}
