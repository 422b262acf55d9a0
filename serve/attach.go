package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/wire"
)

// The attach API, on the unix socket only: GET /v1/snapshot (the fleet in
// the check --json shape plus each host's recent events) and GET
// /v1/stream (newline-delimited wire.Message: a snapshot, then every
// report, heartbeats, and a new snapshot after a reload). Nothing on it can
// change a host; the socket's file permissions are its access control.

// viewerBuffer is how many messages a viewer may fall behind before it is
// dropped: a viewer that stops reading never slows the collector.
const viewerBuffer = 1024

// viewerWriteTimeout bounds one write to a viewer.
const viewerWriteTimeout = 10 * time.Second

// hub fans messages out to attached viewers.
type hub struct {
	log     *slog.Logger
	mu      sync.Mutex
	viewers map[uint64]*viewer
	next    uint64
}

type viewer struct {
	id      uint64
	ch      chan []byte
	dropped chan struct{} // closed when the hub drops the viewer
}

func newHub(log *slog.Logger) *hub { return &hub{log: log, viewers: map[uint64]*viewer{}} }

// active reports whether anyone is attached (so idle collectors encode
// nothing).
func (h *hub) active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.viewers) > 0
}

// publish queues m for every viewer without ever blocking; a viewer whose
// buffer is full is dropped.
func (h *hub) publish(m wire.Message) {
	if !h.active() {
		return
	}
	line, err := json.Marshal(m)
	if err != nil {
		h.log.Error("encode attach message", "err", err)
		return
	}
	line = append(line, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, v := range h.viewers {
		select {
		case v.ch <- line:
		default:
			delete(h.viewers, id)
			close(v.dropped)
			h.log.Warn("detach", "viewer", id, "reason", "too slow: buffer full")
		}
	}
}

func (h *hub) add() *viewer {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	v := &viewer{id: h.next, ch: make(chan []byte, viewerBuffer), dropped: make(chan struct{})}
	h.viewers[v.id] = v
	return v
}

// remove forgets v unless the hub already dropped it.
func (h *hub) remove(v *viewer) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.viewers[v.id]; !ok {
		return false
	}
	delete(h.viewers, v.id)
	return true
}

// attachHandler serves the attach API from the fleet state.
func (s *server) attachHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/snapshot", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.snapshot())
	})
	mux.HandleFunc("GET /v1/stream", s.stream)
	s.ackHandlers(mux)
	return mux
}

// snapshot is the fleet now, in the wire form.
func (s *server) snapshot() wire.Snapshot {
	hs, reps, evs := s.fleet.snapshot()
	snap := wire.Snapshot{Time: s.opts.Now(), Site: s.site, Ready: s.fleet.isReady(), Hosts: []wire.Host{}}
	var reported []probes.HostReport
	for i, h := range hs {
		rep := reps[i]
		if rep.Time.IsZero() { // not probed yet: pending, as a console shows it
			rep = probes.HostReport{Host: h.Name, Address: h.Address, Kind: h.Hypervisor, Tags: h.Tags, Status: probes.UNKNOWN}
		} else {
			reported = append(reported, rep)
		}
		wh := wire.FromReport(rep)
		for _, e := range evs[i] {
			wh.Events = append(wh.Events, wire.Event{Time: e.Time, Check: e.Check, From: e.From, To: e.To, Summary: e.Summary})
		}
		snap.Hosts = append(snap.Hosts, wh)
	}
	snap.Status = wire.FleetStatus(reported)
	snap.Acks = s.acks.list()
	return snap
}

// stream sends the snapshot, then every message the hub publishes, until
// the viewer leaves, is dropped, or serve stops.
func (s *server) stream(w http.ResponseWriter, r *http.Request) {
	v := s.hub.add()
	s.log.Info("attach", "viewer", v.id)
	reason := "left"
	defer func() {
		if s.hub.remove(v) {
			s.log.Info("detach", "viewer", v.id, "reason", reason)
		}
	}()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	first, _ := json.Marshal(wire.Message{Type: wire.TypeSnapshot, Time: s.opts.Now(), Snapshot: new(s.snapshot())})
	line := append(first, '\n')
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(viewerWriteTimeout))
		if _, err := w.Write(line); err != nil {
			reason = "write failed"
			return
		}
		if err := rc.Flush(); err != nil {
			reason = "write failed"
			return
		}
		select {
		case line = <-v.ch:
		case <-v.dropped:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// listenSocket opens the attach socket with mode's permissions, creating
// its folder; a stale socket left by a crash is replaced, a live one is an
// error (another collector owns it).
func listenSocket(path string, mode uint32) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another collector is listening", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, os.FileMode(mode)); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// serveAttach serves the attach API on l until ctx ends; open streams are
// closed then.
func serveAttach(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return runServer(ctx, srv, func() error { return srv.Serve(l) })
}
