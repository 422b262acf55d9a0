package serve

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/probes/wire"
)

// alertmanagerBin is the real Alertmanager the lab installs (lab.sh).
const alertmanagerBin = "prometheus-alertmanager"

// An ack made while the real Alertmanager is not listening yet: the
// creation is retried with serve's real backoff, the silence appears once
// Alertmanager starts, its ID is persisted, and the ack's end expires it.
func TestSilenceAlertmanagerStartedLate(t *testing.T) {
	if _, err := exec.LookPath(alertmanagerBin); err != nil {
		if os.Getenv("HVLAB_REQUIRE") == "1" {
			t.Fatalf("%s: %v (bash lab/lab.sh install)", alertmanagerBin, err)
		}
		t.Skipf("%s not installed: %v", alertmanagerBin, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // a loopback port nothing listens on yet
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "http://" + addr
	r := newSilenceRigOn(t, sleepCtx, url)
	a := wire.Ack{Host: "kvm1", Owner: "alice", Note: "late", Made: time.Now(), Expires: time.Now().Add(time.Hour)}
	r.s.putAck(a, []string{"HypervisorDown"})
	pollUntil(t, "a failed attempt, retried", 10*time.Second, func() bool {
		return strings.Contains(r.log.String(), `msg="silence not created, retrying"`)
	})

	startAlertmanager(t, addr)
	var id string
	pollUntil(t, "the silence in Alertmanager", 60*time.Second, func() bool {
		id = r.persisted(t, "kvm1")[url]
		return id != "" && silenceState(t, url, id) == "active"
	})
	if got := r.metric(t, "", url, silenceCreated); got != 1 {
		t.Errorf("created counter %v, want 1", got)
	}
	e, _ := r.s.acks.get("kvm1")
	if err := r.s.endAck(e, ackRemoved); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the silence expired", 10*time.Second, func() bool { return silenceState(t, url, id) == "expired" })
	r.waitSilences(t)
}

// startAlertmanager runs the real Alertmanager on addr (loopback, no
// cluster, no receiver) until the test ends.
func startAlertmanager(t *testing.T, addr string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: none\nreceivers:\n  - name: none\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(alertmanagerBin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager:\n%s", out.String())
		}
	})
}

// silenceState is the state of silence id in Alertmanager ("" when it
// cannot be read).
func silenceState(t *testing.T, url, id string) string {
	t.Helper()
	resp, err := http.Get(url + "/api/v2/silence/" + id)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var sil struct {
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&sil) != nil {
		return ""
	}
	return sil.Status.State
}

// pollUntil polls ok under a bound: the real Alertmanager's state is only
// seen by asking it.
func pollUntil(t *testing.T, what string, bound time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(50 * time.Millisecond) // polling an outside process under a bound
	}
}
