package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/attach"
	"github.com/hvconsole/hvconsole/hosts/labtest"
	"github.com/hvconsole/hvconsole/probes/wire"
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

	// the ack as an attached console makes it, and as every viewer sees it
	target, err := attach.ParseTarget("unix:" + sock)
	if err != nil {
		t.Fatal(err)
	}
	viewer := attach.New(attach.NetDialer{}, []attach.Target{target})
	ctx, stopViewer := context.WithCancel(t.Context())
	defer stopViewer()
	var following sync.WaitGroup
	following.Go(func() {
		for range viewer.Updates() { // drained so the follower never blocks
		}
	})
	following.Go(func() { _ = viewer.Run(ctx) })
	defer following.Wait()
	defer stopViewer()
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := viewer.Ack(ctx, wire.Ack{Host: faulted, Owner: "alice", Note: "on it, disk full", Expires: expires}); err != nil {
		t.Fatalf("ack from an attached console: %v\n%s", err, srv.logText())
	}
	eventually(t, "the ack shown to the attached viewer", 10*time.Second, func() bool {
		select {
		case list := <-viewer.AckUpdates():
			return len(list) == 1 && list[0].Host == faulted && list[0].Owner == "alice" && list[0].Expires.Equal(expires)
		default:
			return false
		}
	})
	if err := viewer.Ack(ctx, wire.Ack{Host: lab.Host(labServeCalm).Name, Owner: "alice", Expires: expires}); err == nil ||
		!strings.Contains(err.Error(), "no problem to acknowledge") {
		t.Errorf("ack of a healthy host: %v, want the collector's refusal", err)
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

	if err := viewer.Unack(ctx, faulted); err != nil {
		t.Fatalf("ack removal from an attached console: %v", err)
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
