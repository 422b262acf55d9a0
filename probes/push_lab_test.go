package probes

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

// Push detection against the real lab, on lab host 22 (reserved for it).
// Each test asserts a generous bound and logs the measured figure for the
// README's performance section.

const (
	pushHost  = 22
	pushBound = 5 * time.Second
)

// pushLab starts Run over lab host 22 (probe interval an hour, so only the
// push path can explain a prompt report) and waits for a first report
// that satisfies ready.
func pushLab(t *testing.T, uri string, ready func(HostReport) bool) (*labtest.Lab, *Scheduler, hosts.Host) {
	t.Helper()
	l, s, hs := labFleet(t, pushHost)
	hs[0].ProbeInterval = time.Hour
	if uri != "" {
		hs[0].LibvirtURI = uri
	}
	stop := startRun(t, s)
	t.Cleanup(stop)
	s.Refresh()
	waitReport(t, s, "the first healthy report", ready)
	return l, s, hs[0]
}

// waitReport reads Updates until a report satisfies ok, for at most 10 s.
func waitReport(t *testing.T, s *Scheduler, what string, ok func(HostReport) bool) HostReport {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case rep := <-s.Updates():
			if ok(rep) {
				return rep
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func hvStatus(rep HostReport) Status {
	r, _ := rep.Check(hosts.CheckHypervisor)
	return r.Status
}

// (1) kill -9 of libvirtd to the hypervisor check CRIT on Updates.
func TestLabPushLibvirtdKilled(t *testing.T) {
	l, s, _ := pushLab(t, "", func(r HostReport) bool { return r.Status == OK })
	l.Libvirtd(t, "thaw", pushHost) // a no-op on a running daemon; heals the host when the test ends
	pidFile := filepath.Join(l.Dir, "hosts", l.Host(pushHost).Name, "run", "libvirtd.pid")
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("pid file %s: %v", pidFile, err)
	}
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	before := 0 // reports before the CRIT: none when the probe beat LossGrace
	rep := waitReport(t, s, "the CRIT report", func(r HostReport) bool {
		before++
		return hvStatus(r) == CRIT
	})
	lat := time.Since(start)
	hv, _ := rep.Check(hosts.CheckHypervisor)
	t.Logf("kill -9 libvirtd -> hypervisor CRIT on Updates: %v (%q), %d report(s) before it", lat, hv.Summary, before-1)
	if lat > pushBound {
		t.Errorf("CRIT after %v, want under %v", lat, pushBound)
	}
	if !strings.Contains(hv.Summary, "libvirtd failed") {
		t.Errorf("the CRIT does not name the cause: %q", hv.Summary)
	}
}

// libvirtDialer opens a second libvirt connection to the lab host over
// the test's own SSH connection.
type libvirtDialer struct {
	ctx  context.Context
	r    Conn
	path string
}

func (d libvirtDialer) Dial() (net.Conn, error) { return d.r.DialUnix(d.ctx, d.path) }

// (2) a domain state change to the updated vms check on Updates. A file
// URI gives every connection its own world, so the scheduler watches
// test:///default, which one daemon shares among its connections; the
// change is made over a second connection (precise timing) and by virsh
// in the host (another process).
func TestLabPushDomainEvent(t *testing.T) {
	vmState := func(r HostReport, name string) string {
		i := slices.IndexFunc(r.VMs, func(v VM) bool { return v.Name == name })
		if i < 0 {
			return ""
		}
		return r.VMs[i].State
	}
	l, s, h := pushLab(t, "test:///default", func(r HostReport) bool { return vmState(r, "test") != "" })
	lv := secondConnection(t, h)
	dom, err := lv.DomainLookupByName("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lv.DomainResume(dom) }) // leave the shared world running
	lv.DomainResume(dom)                       // a previous run may have left it paused

	for _, step := range []struct {
		name   string
		change func() error
		want   string
	}{
		{"suspend over go-libvirt", func() error { return lv.DomainSuspend(dom) }, "paused"},
		{"resume over go-libvirt", func() error { return lv.DomainResume(dom) }, "running"},
		{"suspend by virsh in the host", func() error {
			l.Exec(t, pushHost, "virsh", "-c", "test+unix:///default", "suspend", "test")
			return nil
		}, "paused"},
		{"resume by virsh in the host", func() error {
			l.Exec(t, pushHost, "virsh", "-c", "test+unix:///default", "resume", "test")
			return nil
		}, "running"},
	} {
		start := time.Now()
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		rep := waitReport(t, s, step.name, func(r HostReport) bool { return vmState(r, "test") == step.want })
		lat := time.Since(start)
		vms, _ := rep.Check(hosts.CheckVMs)
		t.Logf("%s -> vms check on Updates: %v (%q; %s)", step.name, lat, vms.Summary,
			strings.ReplaceAll(vms.Details, "\n", " | "))
		if lat > pushBound {
			t.Errorf("%s: vms updated after %v, want under %v", step.name, lat, pushBound)
		}
		if !strings.Contains(vms.Details, "events: test ") {
			t.Errorf("%s: details %q do not name the event", step.name, vms.Details)
		}
	}
}

// secondConnection opens a go-libvirt connection to h's daemon that is
// not the scheduler's; it is closed when the test ends.
func secondConnection(t *testing.T, h hosts.Host) *libvirt.Libvirt {
	t.Helper()
	pool := sshx.NewPool(sshx.Options{})
	t.Cleanup(func() { pool.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r, err := NewSSHTransport(pool).Connect(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	lv := libvirt.NewWithDialer(libvirtDialer{ctx: t.Context(), r: r, path: h.LibvirtSocket})
	if err := lv.ConnectToURI(libvirt.ConnectURI(h.LibvirtURI)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lv.Disconnect() })
	return lv
}
