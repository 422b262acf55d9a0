package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hvconsole/hvconsole/probes"
)

// BenchmarkAttachViewers is the cost on the collector of 100 attached
// viewers: one op is one host report published and delivered over the
// unix socket to every viewer (each viewer a real HTTP stream reader).
// Reports go out in bursts of half a viewer's buffer, so no viewer falls
// far enough behind to be dropped.
func BenchmarkAttachViewers(b *testing.B) {
	for _, viewers := range []int{1, 100} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) { benchViewers(b, viewers) })
	}
}

func benchViewers(b *testing.B, viewers int) {
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprintf("kvm%02d", i)
	}
	cfg := testConfig("", names...)
	cfg.Serve.Socket, cfg.Serve.SocketMode = filepath.Join(b.TempDir(), "s.sock"), 0o600
	h := startServer(b, cfg, nil)
	h.waitLog(b, "msg=serving")
	var got atomic.Int64
	var wg sync.WaitGroup
	c := unixClient(cfg.Serve.Socket)
	for range viewers {
		resp, err := c.Get("http://x/v1/stream")
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				if bytes.Contains(sc.Bytes(), []byte(`"type":"report"`)) {
					got.Add(1)
				}
			}
		})
	}
	h.waitLog(b, fmt.Sprintf("msg=attach viewer=%d", viewers))
	vm := probes.VM{Name: "web", State: "running"}
	b.ReportAllocs()
	b.ResetTimer()
	sent := 0
	for sent < b.N {
		burst := min(b.N-sent, viewerBuffer/2)
		for i := range burst {
			h.sched.updates <- report(names[(sent+i)%len(names)], t0, nil, vm)
		}
		sent += burst
		for got.Load() < int64(sent*viewers) {
			runtime.Gosched() // the viewers catch up
		}
	}
	b.StopTimer()
	if err := h.stop(); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
}
