package simfleet

import (
	"runtime"
	"sync"
	"testing"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sync/errgroup"
)

// scaleHosts is the fleet size the scale test and benchmarks use.
const scaleHosts = 1000

// TestStartClose1000 starts and stops a 1,000-host fleet; TestMain's goleak
// check proves nothing is left running.
func TestStartClose1000(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 hosts")
	}
	f := startFleet(t, Options{Hosts: scaleHosts, Quiet: true})
	cfg := clientConfig(t, f)
	for _, h := range []*Host{f.Hosts()[0], f.Host("demo-0500"), f.Hosts()[scaleHosts-1]} {
		c, err := dial(t, cfg, h.Addr())
		if err != nil {
			t.Fatalf("dial %s: %v", h.Name(), err)
		}
		if out, _, code := execResult(t, c, remote.KVMFactsCommand); code != 0 || out == "" {
			t.Errorf("%s: kvm facts exit %d", h.Name(), code)
		}
		c.Close()
	}
}

// heapAndStacks is the memory the Go runtime holds for live objects and
// goroutine stacks.
func heapAndStacks() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// BenchmarkStart1000 measures starting a 1,000-host fleet (keys, listeners,
// files) and what each idle host costs in memory. Metrics: start-ms (time to
// Start), B/host (heap and stacks per idle host), goroutines/host.
func BenchmarkStart1000(b *testing.B) {
	for b.Loop() {
		before := heapAndStacks()
		g0 := runtime.NumGoroutine()
		start := time.Now()
		f, err := Start(b.Context(), Options{Hosts: scaleHosts, Quiet: true, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "start-ms")
		b.ReportMetric(float64(heapAndStacks()-before)/scaleHosts, "B/host")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/scaleHosts, "goroutines/host")
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// roundClient is one host's open SSH connection and libvirt client, as a
// console keeps them between rounds.
type roundClient struct {
	ssh *ssh.Client
	lv  *libvirt.Libvirt
}

// BenchmarkRound1000 measures one probe-like round over 1,000 hosts with
// connections already open: per host one batched exec of the status
// commands plus libvirt version, domain list and every domain's state, 32
// hosts at a time. It also reports the memory per host with a connection
// and a libvirt channel open (server and client sides together, both being
// in this process).
func BenchmarkRound1000(b *testing.B) {
	f := startFleet(b, Options{Hosts: scaleHosts, Quiet: true})
	before := heapAndStacks()
	clients := openRoundClients(b, f)
	connBytes := float64(heapAndStacks()-before) / scaleHosts
	isActive, _ := remote.UnitsActiveCommand([]string{"libvirtd"})
	backups, _ := remote.BackupListCommand("/srv/backups/*.qcow2")
	script, err := remote.Batch(isActive, remote.KVMFactsCommand, backups)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var g errgroup.Group
		g.SetLimit(32)
		for _, c := range clients {
			g.Go(func() error { return probeRound(c, script.Script) })
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(connBytes, "conn-B/host") // after the loop: b.Loop drops earlier metrics
}

func openRoundClients(b *testing.B, f *Fleet) []roundClient {
	cfg := clientConfig(b, f)
	clients := make([]roundClient, scaleHosts)
	var g errgroup.Group
	g.SetLimit(16)
	var mu sync.Mutex
	for i, h := range f.Hosts() {
		g.Go(func() error {
			c, err := dial(b, cfg, h.Addr())
			if err != nil {
				return err
			}
			lv := libvirt.NewWithDialer(sshDialer{c, DefaultLibvirtSocket})
			if err := lv.ConnectToURI(libvirt.QEMUSystem); err != nil {
				c.Close()
				return err
			}
			mu.Lock()
			clients[i] = roundClient{c, lv}
			mu.Unlock()
			return nil
		})
	}
	err := g.Wait()
	b.Cleanup(func() {
		for _, c := range clients {
			if c.ssh != nil {
				c.lv.Disconnect()
				c.ssh.Close()
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return clients
}

func probeRound(c roundClient, script string) error {
	s, err := c.ssh.NewSession()
	if err != nil {
		return err
	}
	_, err = s.Output(script)
	s.Close()
	if err != nil {
		return err
	}
	if _, err := c.lv.ConnectGetLibVersion(); err != nil {
		return err
	}
	doms, _, err := c.lv.ConnectListAllDomains(1, 0)
	if err != nil {
		return err
	}
	for _, d := range doms {
		if _, _, err := c.lv.DomainGetState(d, 0); err != nil {
			return err
		}
	}
	return nil
}
