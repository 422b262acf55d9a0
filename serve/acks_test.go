package serve

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/actions"
	"github.com/hvconsole/hvconsole/probes/wire"
)

// fakeAM is an Alertmanager's silence API: it records every call.
type fakeAM struct {
	mu    sync.Mutex
	calls []string // "POST /api/v2/silences {body}", "DELETE /api/v2/silence/ID"
	got   chan struct{}
}

func newFakeAM(t *testing.T) (*fakeAM, string) {
	f := &fakeAM{got: make(chan struct{}, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.calls = append(f.calls, strings.TrimSpace(r.Method+" "+r.URL.Path+" "+string(b)))
		f.mu.Unlock()
		if r.Method == http.MethodPost && r.URL.Path == "/api/v2/silences" {
			_, _ = io.WriteString(w, `{"silenceID":"sil-1"}`)
		}
		f.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// wait returns the calls once there are n with the prefix.
func (f *fakeAM) wait(t *testing.T, prefix string, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		var out []string
		for _, c := range f.calls {
			if strings.HasPrefix(c, prefix) {
				out = append(out, c)
			}
		}
		f.mu.Unlock()
		if len(out) >= n {
			return out
		}
		select {
		case <-f.got:
		case <-deadline:
			t.Fatalf("Alertmanager never got %d %q calls", n, prefix)
		}
	}
}

// ackServer starts a collector of kvm1 and kvm2 with its socket, an
// Alertmanager that answers silences, an audit log and acks.json in dir.
func ackServer(t *testing.T, dir, am string, clock func() time.Time) (*harness, *http.Client) {
	t.Helper()
	cfg := testConfig(am, "kvm1", "kvm2")
	cfg.Serve.Socket, cfg.Serve.SocketMode = filepath.Join(dir, "serve.sock"), 0o600
	audit, err := actions.OpenAuditLog(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	h := startServerWith(t, cfg, func(o *Options) {
		o.Audit, o.AckFile, o.Now, o.Heartbeat = audit, filepath.Join(dir, "acks.json"), clock, 20*time.Millisecond
	})
	h.waitLog(t, "msg=serving")
	return h, unixClient(cfg.Serve.Socket)
}

func postAck(t *testing.T, c *http.Client, body string) (int, string) {
	t.Helper()
	resp, err := c.Post("http://x"+wire.AckPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func snapshotAcks(t *testing.T, c *http.Client) []wire.Ack {
	t.Helper()
	resp, err := c.Get("http://x/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	snap, err := wire.DecodeSnapshot(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return snap.Acks
}

// An ack made over the socket is kept, shown in the snapshot, persisted
// across a restart, mirrored as a silence of the host's firing alerts, and
// ended (silence deleted, audited) when the host is OK again.
func TestAckOverSocketSilencesAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	am, amURL := newFakeAM(t)
	clock := newClock(t0)
	h, c := ackServer(t, dir, amURL, clock.Now)
	h.sched.updates <- report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	h.waitLog(t, `msg="alert firing" alertname=HypervisorDown host=kvm1`)

	exp := t0.Add(2 * time.Hour)
	body := `{"host":"kvm1","owner":"alice","note":"on it, disk full","expires":"` + exp.Format(time.RFC3339) + `"}`
	if code, text := postAck(t, c, body); code != http.StatusCreated {
		t.Fatalf("POST ack = %d %s", code, text)
	}
	sil := am.wait(t, "POST /api/v2/silences", 1)[0]
	var got amSilence
	if err := json.Unmarshal([]byte(strings.TrimPrefix(sil, "POST /api/v2/silences ")), &got); err != nil {
		t.Fatal(err)
	}
	want := amSilence{Matchers: []amMatcher{{Name: "host", Value: "kvm1", IsEqual: true},
		{Name: "alertname", Value: "HypervisorDown", IsRegex: true, IsEqual: true}},
		StartsAt: t0, EndsAt: exp, CreatedBy: "alice", Comment: "on it, disk full"}
	if !equalJSON(t, got, want) {
		t.Errorf("silence %+v, want %+v", got, want)
	}
	if acks := snapshotAcks(t, c); len(acks) != 1 || acks[0].Owner != "alice" || !acks[0].Expires.Equal(exp) {
		t.Errorf("snapshot acks %+v", acks)
	}
	h.waitLog(t, "msg=\"silence created\"")
	_, metrics := h.get(t, "/metrics")
	for _, want := range []string{"hvconsole_silences_pending{region=\"eu\"} 0",
		`hvconsole_silences_total{alertmanager="` + amURL + `",outcome="created",region="eu"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}

	// a restarted collector still holds the ack and its silence's id
	h, c = ackServer(t, dir, amURL, clock.Now)
	if acks := snapshotAcks(t, c); len(acks) != 1 || acks[0].Note != "on it, disk full" {
		t.Fatalf("acks after a restart %+v", acks)
	}
	h.sched.updates <- report("kvm1", t0.Add(time.Minute), nil) // OK again
	h.waitLog(t, "msg=\"ack ended\" host=kvm1 owner=alice why=recovered")
	if del := am.wait(t, "DELETE", 1); del[0] != "DELETE /api/v2/silence/sil-1" {
		t.Errorf("delete call %q", del[0])
	}
	if acks := snapshotAcks(t, c); len(acks) != 0 {
		t.Errorf("acks after recovery %+v", acks)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	audit, _ := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if n := bytes.Count(audit, []byte(`"action":"ack"`)); n != 2 || !bytes.Contains(audit, []byte(`"outcome":"recovered"`)) {
		t.Errorf("audit log:\n%s\nwant the ack made and its end", audit)
	}
}

// An ack ends at its expiry, refusals say why, and the metrics listener
// (TCP) serves no ack API: writes stay on the unix socket.
func TestAckExpiryAndRefusals(t *testing.T) {
	dir := t.TempDir()
	clock := newClock(t0)
	h, c := ackServer(t, dir, "", clock.Now)
	defer func() {
		if err := h.stop(); err != nil {
			t.Error(err)
		}
	}()
	h.sched.updates <- report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	h.sched.updates <- report("kvm2", t0, nil)
	h.waitLog(t, `msg="alert firing"`)
	exp := t0.Add(10 * time.Minute).Format(time.RFC3339)
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"host":"kvm2","owner":"alice","expires":"` + exp + `"}`, http.StatusConflict}, // OK: nothing to ack
		{`{"host":"kvm9","owner":"alice","expires":"` + exp + `"}`, http.StatusNotFound}, // not in the inventory
		{`{"host":"kvm1","owner":"","expires":"` + exp + `"}`, http.StatusBadRequest},    // no owner
		{`{"host":"kvm1","owner":"alice","expires":"2020-01-01T00:00:00Z"}`, http.StatusBadRequest},
		{`{"host":"kvm1","owner":"alice","expires":"` + exp + `","x":1}`, http.StatusBadRequest}, // unknown field
		{`{"host":"kvm1","owner":"alice","expires":"` + exp + `"}`, http.StatusCreated},
	} {
		if code, text := postAck(t, c, tc.body); code != tc.code {
			t.Errorf("POST %s = %d %s, want %d", tc.body, code, text, tc.code)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, h.base+wire.AckPath, strings.NewReader("{}"))
	tcp := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := tcp.Do(req); err != nil || resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusBadRequest {
		t.Errorf("the metrics listener answered an ack: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	clock.Advance(11 * time.Minute)
	h.waitLog(t, "msg=\"ack ended\" host=kvm1 owner=alice why=expired")
	if acks := snapshotAcks(t, c); len(acks) != 0 {
		t.Errorf("acks after the expiry %+v", acks)
	}
}

// A removal over the socket ends the ack.
func TestAckRemoved(t *testing.T) {
	clock := newClock(t0)
	h, c := ackServer(t, t.TempDir(), "", clock.Now)
	defer func() {
		if err := h.stop(); err != nil {
			t.Error(err)
		}
	}()
	h.sched.updates <- report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	h.waitLog(t, `msg="alert firing"`)
	postAck(t, c, `{"host":"kvm1","owner":"bob","expires":"`+t0.Add(time.Hour).Format(time.RFC3339)+`"}`)
	req, _ := http.NewRequest(http.MethodDelete, "http://x"+wire.AckPath+"/kvm1", nil)
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE = %v %v", resp, err)
	}
	resp.Body.Close()
	h.waitLog(t, "why=removed")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE = %d, want 404", resp.StatusCode)
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// clock is a clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(at time.Time) *clock { return &clock{now: at} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
