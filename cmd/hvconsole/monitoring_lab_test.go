package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The monitoring stack of the serve lab tests: Debian's Prometheus and
// Alertmanager, started by the test on loopback with their own configs and
// data folders (no systemd), and a webhook receiver in process.

// freePort returns a loopback address with a port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// daemon is a monitoring program the test runs; it is stopped at cleanup.
type daemon struct {
	t    *testing.T
	name string
	args []string
	addr string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startDaemon(t *testing.T, name, addr string, args ...string) *daemon {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed (lab/lab.sh install brings it): %v", name, err)
	}
	d := &daemon{t: t, name: path, args: args, addr: addr, log: filepath.Join(t.TempDir(), filepath.Base(name)+".log")}
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *daemon) start() {
	d.t.Helper()
	f, err := os.OpenFile(d.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	d.cmd = exec.Command(d.name, d.args...)
	d.cmd.Stdout, d.cmd.Stderr = f, f
	if err := d.cmd.Start(); err != nil {
		d.t.Fatalf("start %s: %v", d.name, err)
	}
	d.done = make(chan struct{})
	cmd, done := d.cmd, d.done
	go func() { _ = cmd.Wait(); close(done) }()
	waitHTTP(d.t, "http://"+d.addr+"/-/ready", 60*time.Second, d.log)
}

// stop ends the program (TERM, then KILL after 10 s) and waits for it.
func (d *daemon) stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	d.cmd = nil
}

// waitHTTP polls url until it answers 200, under a deadline.
func waitHTTP(t *testing.T, url string, within time.Duration, logFile string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("%s not ready after %v: %v\n%s", url, within, err, log)
		}
		time.Sleep(100 * time.Millisecond) // polling a daemon's readiness under a deadline
	}
}

// startAlertmanager runs Alertmanager with one route to the webhook at
// hook: group_wait 0s so a new alert is notified at once.
func startAlertmanager(t *testing.T, dir, hook string) *daemon {
	t.Helper()
	return startAlertmanagerEvery(t, dir, hook, "1h")
}

// startAlertmanagerEvery is startAlertmanager notifying a firing alert
// again every repeat.
func startAlertmanagerEvery(t *testing.T, dir, hook, repeat string) *daemon {
	t.Helper()
	cfg := fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, host]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: %s
receivers:
  - name: hook
    webhook_configs:
      - url: %q
        send_resolved: true
`, repeat, hook)
	path := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	return startDaemon(t, "prometheus-alertmanager", addr, "--config.file="+path,
		"--storage.path="+filepath.Join(dir, "am-data"), "--web.listen-address="+addr,
		"--cluster.listen-address=")
}

// startPrometheus runs Prometheus scraping serve every second.
func startPrometheus(t *testing.T, dir, target string) *daemon {
	t.Helper()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: hvconsole
    static_configs:
      - targets: [%q]
`, target)
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	return startDaemon(t, "prometheus", addr, "--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(dir, "prom-data"), "--web.listen-address="+addr)
}

// promValue runs an instant query and returns the value of its single
// sample ("" when there is none).
func promValue(t *testing.T, prom, query string) string {
	t.Helper()
	var doc struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	getJSON(t, "http://"+prom+"/api/v1/query?query="+url.QueryEscape(query), &doc)
	if len(doc.Data.Result) != 1 {
		return ""
	}
	s, _ := doc.Data.Result[0].Value[1].(string)
	return s
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// amAlert is what Alertmanager's GET /api/v2/alerts lists.
type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

// amAlerts lists the alerts Alertmanager holds (active ones; resolved
// alerts leave the list).
func amAlerts(t *testing.T, am string) []amAlert {
	t.Helper()
	var list []amAlert
	getJSON(t, "http://"+am+"/api/v2/alerts", &list)
	return list
}

// hookMessage is one webhook notification as received, with its arrival.
type hookMessage struct {
	At     time.Time
	Status string `json:"status"`
	Alerts []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

// hookReceiver records webhook notifications.
type hookReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []hookMessage
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m hookMessage
		if json.Unmarshal(b, &m) == nil {
			m.At = time.Now()
			h.mu.Lock()
			h.got = append(h.got, m)
			h.mu.Unlock()
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// find returns the arrival of the first notification after since with an
// alert of that name, host and status.
func (h *hookReceiver) find(since time.Time, name, host, status string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.got {
		for _, a := range m.Alerts {
			if m.At.After(since) && a.Status == status && a.Labels["alertname"] == name && a.Labels["host"] == host {
				return m.At, true
			}
		}
	}
	return time.Time{}, false
}

// eventually polls cond every 20 ms until it holds or within passes, and
// returns when it held.
func eventually(t *testing.T, what string, within time.Duration, cond func() bool) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waited %v for %s", within, what)
		case <-tick.C:
		}
	}
	return time.Now()
}

// httptestHanging is a webhook that never answers until the test ends.
func httptestHanging(t *testing.T) string {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() {
		close(release) // before Close, which waits for the handlers
		srv.Close()
	})
	return srv.URL
}
