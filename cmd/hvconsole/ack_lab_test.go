package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// amSilenceState is what GET /api/v2/silences lists.
type amSilenceState struct {
	ID        string `json:"id"`
	CreatedBy string `json:"createdBy"`
	Comment   string `json:"comment"`
	Matchers  []struct {
		Name, Value string
	} `json:"matchers"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

// socketDo sends one request to serve's attach socket.
func socketDo(t *testing.T, sock, method, path, body string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	req, err := http.NewRequest(method, "http://serve"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// notifications counts the webhook's firing notifications of name for
// host that arrived after since.
func (h *hookReceiver) notifications(since time.Time, name, host string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.got {
		for _, a := range m.Alerts {
			if m.At.After(since) && a.Status == "firing" && a.Labels["alertname"] == name && a.Labels["host"] == host {
				n++
			}
		}
	}
	return n
}

// TestServeLabAckSilence: an ack made over serve's attach socket creates
// an Alertmanager silence of that host's alert (owner, note, expiry), the
// alert stops notifying the webhook receiver, and the ack's end deletes
// the silence.
func TestServeLabAckSilence(t *testing.T) {
	lab := labtest.Require(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	hook := newHookReceiver(t)
	am := startAlertmanagerEvery(t, dir, hook.srv.URL, "1s") // a silence shows as silence
	listen, sock := freePort(t), filepath.Join(dir, "serve.sock")
	tables := fmt.Sprintf(`[serve]
listen = %q
socket = %q
[alerting]
alertmanagers = ["http://%s"]
resend_interval = "3s"
`, listen, sock, am.addr)
	faulted := lab.Host(labServeFault).Name
	cfg := serveConfig(t, lab, []int{labServeFault, labServeCalm}, tables)
	srv := startServe(t, bin, cfg)
	srv.waitReady(t, listen)

	killed := time.Now()
	lab.Libvirtd(t, "kill", labServeFault)
	eventually(t, "HypervisorDown notified again and again", 20*time.Second, func() bool {
		return hook.notifications(killed, "HypervisorDown", faulted) >= 2
	})

	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	body := fmt.Sprintf(`{"host":%q,"owner":"alice","note":"on it, disk full","expires":%q}`, faulted, expires.Format(time.RFC3339))
	if code, text := socketDo(t, sock, http.MethodPost, "/v1/acks", body); code != http.StatusCreated {
		t.Fatalf("ack = %d %s\n%s", code, text, srv.logText())
	}
	var sil amSilenceState
	silenced := eventually(t, "the silence in Alertmanager", 10*time.Second, func() bool {
		var list []amSilenceState
		getJSON(t, "http://"+am.addr+"/api/v2/silences", &list)
		for _, s := range list {
			if s.Status.State == "active" && s.CreatedBy == "alice" && s.Comment == "on it, disk full" {
				sil = s
				return true
			}
		}
		return false
	})
	matchers := map[string]string{}
	for _, m := range sil.Matchers {
		matchers[m.Name] = m.Value
	}
	if matchers["host"] != faulted || matchers["alertname"] != "HypervisorDown" {
		t.Errorf("silence matchers %v, want host=%s alertname=HypervisorDown", matchers, faulted)
	}
	eventually(t, "the alert suppressed", 10*time.Second, func() bool {
		for _, a := range amAlerts(t, am.addr) {
			if a.Labels["host"] == faulted && a.Labels["alertname"] == "HypervisorDown" {
				return a.Status.State == "suppressed"
			}
		}
		return false
	})
	// with a 1 s repeat, five seconds without a notification is a silence
	// (a notification already on its way when the silence came may land)
	quiet := time.Now()
	eventually(t, "five quiet seconds", 10*time.Second, func() bool { return time.Since(quiet) > 5*time.Second })
	if n := hook.notifications(quiet, "HypervisorDown", faulted); n > 0 {
		t.Errorf("%d notifications after the silence (made %v)", n, silenced.Format(time.TimeOnly))
	}

	if code, text := socketDo(t, sock, http.MethodDelete, "/v1/acks/"+faulted, ""); code != http.StatusOK {
		t.Fatalf("ack removal = %d %s", code, text)
	}
	eventually(t, "the silence expired", 10*time.Second, func() bool {
		var s amSilenceState
		getJSON(t, "http://"+am.addr+"/api/v2/silence/"+sil.ID, &s)
		return s.Status.State == "expired"
	})
	ended := time.Now()
	eventually(t, "notifications again after the ack ended", 15*time.Second, func() bool {
		return hook.notifications(ended, "HypervisorDown", faulted) > 0
	})
	lab.Libvirtd(t, "start", labServeFault)
	srv.stop(t)
}
