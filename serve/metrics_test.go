package serve

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
)

// stallListener's connections block every write until release is closed;
// stalled is closed at the first write. A scraper that stops reading looks
// like this to serve: the handler blocks in the middle of its response.
type stallListener struct {
	net.Listener
	once             sync.Once
	stalled, release chan struct{}
}

func (l *stallListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &stallConn{Conn: c, l: l}, nil
}

type stallConn struct {
	net.Conn
	l *stallListener
}

func (c *stallConn) Write(p []byte) (int, error) {
	c.l.once.Do(func() { close(c.l.stalled) })
	<-c.l.release
	return c.Conn.Write(p)
}

// TestStalledScrapeBlocksNothing: while a scrape is stuck writing its
// response, reports are still taken in (alerts, logs) and attached
// consoles still get snapshots with them.
func TestStalledScrapeBlocksNothing(t *testing.T) {
	names := make([]string, 50) // an exposition larger than the server's write buffer
	for i := range names {
		names[i] = fmt.Sprintf("kvm%02d", i)
	}
	cfg := testConfig("", names...)
	cfg.Serve.Socket, cfg.Serve.SocketMode = filepath.Join(t.TempDir(), "s.sock"), 0o600
	stall := &stallListener{stalled: make(chan struct{}), release: make(chan struct{})}
	h := startServerWith(t, cfg, func(o *Options) {
		stall.Listener = o.MetricsListener
		o.MetricsListener = stall
	})
	for _, n := range names {
		h.sched.updates <- report(n, t0, nil, probes.VM{Name: "web", State: "running"})
	}
	h.waitLog(t, "msg=ready")
	scraped := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, h.base+"/metrics", nil)
		req.Header.Set("Accept-Encoding", "identity") // the whole body goes through the stalled writes
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			scraped <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		scraped <- string(b)
	}()
	<-stall.stalled

	sent := make(chan struct{})
	go func() {
		h.sched.updates <- report("kvm07", t0.Add(time.Second), map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
		close(sent)
	}()
	select {
	case <-sent:
	case <-time.After(10 * time.Second):
		t.Fatal("a report waited 10 s behind a stalled scrape")
	}
	h.waitLog(t, `msg="status change" host=kvm07 check=hypervisor from=OK to=CRIT`)
	resp, err := unixClient(cfg.Serve.Socket).Get("http://x/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := wire.DecodeSnapshot(resp.Body)
	resp.Body.Close()
	if err != nil || snap.Hosts[7].Status != probes.CRIT {
		t.Errorf("snapshot during a stalled scrape: %v, kvm07 %+v; want kvm07 CRIT", err, snap.Hosts[7])
	}

	close(stall.release)
	if body := <-scraped; !strings.Contains(body, `hvconsole_host_up{host="kvm49",region="eu"} 1`) {
		t.Errorf("the released scrape lacks the last host:\n%.300s", body)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
}
