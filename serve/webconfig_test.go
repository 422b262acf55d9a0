package serve

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The metrics listener honours an exporter-toolkit web config: with
// basic_auth_users set, a scrape without the password is refused.
func TestMetricsWebConfigBasicAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webcfg := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(webcfg, []byte("basic_auth_users:\n  prom: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("", "kvm1")
	cfg.Serve.WebConfig = webcfg
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	sched := newFakeScheduler()
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, Options{Config: cfg, Scheduler: sched, Logger: slog.New(slog.DiscardHandler), MetricsListener: l})
	}()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}()
	url := "http://" + l.Addr().String() + "/metrics"
	status := func(user, pass string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
			time.Sleep(10 * time.Millisecond) // the listener is up before Run serves it
		}
	}
	if got := status("", ""); got != http.StatusUnauthorized {
		t.Errorf("scrape without credentials = %d, want 401", got)
	}
	if got := status("prom", "wrong"); got != http.StatusUnauthorized {
		t.Errorf("scrape with a wrong password = %d, want 401", got)
	}
	if got := status("prom", "s3cret"); got != http.StatusOK {
		t.Errorf("scrape with the password = %d, want 200", got)
	}
}
