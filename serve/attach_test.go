package serve

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
)

func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}}
}

func TestAttachSocketSnapshotAndStream(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "run", "serve.sock")
	cfg := testConfig("", "kvm1", "kvm2")
	cfg.Serve.Socket, cfg.Serve.SocketMode = sock, 0o600
	h := startServer(t, cfg, nil)
	defer func() {
		if err := h.stop(); err != nil {
			t.Error(err)
		}
	}()
	h.waitLog(t, "msg=serving")
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket %v %v; want a socket with mode 0600", fi, err)
	}
	c := unixClient(sock)
	h.sched.updates <- report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	h.waitLog(t, "host=kvm1 check=hypervisor")

	resp, err := c.Get("http://x/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := wire.DecodeSnapshot(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if snap.Site != "dc1" || len(snap.Hosts) != 2 || snap.Hosts[0].Status != probes.CRIT ||
		snap.Hosts[1].Status != probes.UNKNOWN || len(snap.Hosts[0].Events) != 1 || snap.Status != probes.CRIT {
		t.Errorf("snapshot = %+v", snap)
	}

	for _, method := range []string{http.MethodPost, http.MethodDelete} {
		req, _ := http.NewRequest(method, "http://x/v1/snapshot", strings.NewReader("{}"))
		if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s = %v %v; want 405: nothing on the socket changes anything", method, resp, err)
		} else {
			resp.Body.Close()
		}
	}

	resp, err = c.Get("http://x/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := wire.NewDecoder(resp.Body)
	if m, err := dec.Next(); err != nil || m.Type != wire.TypeSnapshot || len(m.Snapshot.Hosts) != 2 {
		t.Fatalf("first message %+v, %v; want the snapshot", m, err)
	}
	h.waitLog(t, "msg=attach viewer=1")
	h.sched.updates <- report("kvm2", t0, nil)
	m, err := dec.Next()
	if err != nil || m.Type != wire.TypeReport || m.Host.Name != "kvm2" {
		t.Fatalf("next message %+v, %v; want kvm2's report", m, err)
	}
	resp.Body.Close() // the viewer leaves: one log line says so
	h.waitLog(t, "msg=detach viewer=1")
}

func TestSlowViewerIsDropped(t *testing.T) {
	h := newHub(slog.New(slog.DiscardHandler))
	slow, fast := h.add(), h.add()
	for i := range viewerBuffer + 1 {
		h.publish(wire.Message{Type: wire.TypeHeartbeat})
		if i < viewerBuffer {
			<-fast.ch // the fast viewer keeps up
		}
	}
	select {
	case <-slow.dropped:
	default:
		t.Fatal("a viewer with a full buffer was kept")
	}
	select {
	case <-fast.dropped:
		t.Fatal("the viewer that keeps up was dropped")
	default:
	}
	if h.remove(slow) || !h.remove(fast) {
		t.Error("remove after a drop")
	}
}

func TestListenSocketRefusesALiveOneAndReplacesAStaleOne(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := listenSocket(sock, 0o660)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := listenSocket(sock, 0o660); err == nil || !strings.Contains(err.Error(), "another collector") {
		t.Errorf("second listener: %v, want refused", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // leaves the file behind, like a crash
	l2, err := listenSocket(sock, 0o660)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	l2.Close()
	file := filepath.Join(t.TempDir(), "f")
	_ = os.WriteFile(file, nil, 0o600)
	if _, err := listenSocket(file, 0o660); err == nil {
		t.Error("a regular file was replaced")
	}
}

// The stream says the collector lives with a heartbeat every interval,
// with no report in between, so an attached console tells a quiet fleet
// from a dead collector.
func TestAttachStreamSendsHeartbeats(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "serve.sock")
	cfg := testConfig("", "kvm1")
	cfg.Serve.Socket, cfg.Serve.SocketMode = sock, 0o600
	h := startServerWith(t, cfg, func(o *Options) { o.Heartbeat = 20 * time.Millisecond })
	h.waitLog(t, "msg=serving")
	resp, err := unixClient(sock).Get("http://x/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := wire.NewDecoder(resp.Body)
	if m, err := dec.Next(); err != nil || m.Type != wire.TypeSnapshot {
		t.Fatalf("first message %+v, %v; want the snapshot", m, err)
	}
	for i := range 3 {
		if m, err := dec.Next(); err != nil || m.Type != wire.TypeHeartbeat || m.Time.IsZero() {
			t.Fatalf("message %d after the snapshot: %+v, %v; want a heartbeat", i, m, err)
		}
	}
	// Stopping serve with a viewer attached closes its stream and returns
	// cleanly (goleak in TestMain checks no goroutine is left).
	if err := h.stop(); err != nil {
		t.Fatalf("Run with a viewer attached = %v", err)
	}
	for {
		if m, err := dec.Next(); err != nil {
			break // the stream ended with serve
		} else if m.Type != wire.TypeHeartbeat {
			t.Fatalf("after stopping: %+v", m)
		}
	}
}
