package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// fakeScheduler is a Scheduler whose reports the test sends.
type fakeScheduler struct {
	updates chan probes.HostReport
	mu      sync.Mutex
	applied []*hosts.Config
}

func newFakeScheduler() *fakeScheduler {
	return &fakeScheduler{updates: make(chan probes.HostReport)}
}

func (f *fakeScheduler) Run(ctx context.Context) error {
	<-ctx.Done()
	close(f.updates)
	return ctx.Err()
}

func (f *fakeScheduler) Updates() <-chan probes.HostReport { return f.updates }

func (f *fakeScheduler) UpdateHosts(cfg *hosts.Config) (started, stopped []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, cfg)
	return []string{"new"}, []string{"kvm2"}
}

// syncBuffer is a log sink safe for the collector's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	sched   *fakeScheduler
	base    string // the metrics listener's URL
	log     *syncBuffer
	reloads chan struct{}
	reload  func() (*hosts.Config, error)
	stop    func() error
}

func testConfig(alertmanager string, names ...string) *hosts.Config {
	cfg := &hosts.Config{Alerting: alertingCfg(), Serve: hosts.Serve{Site: "dc1", MaxDomainSeries: hosts.DefaultMaxDomainSeries}}
	if alertmanager != "" {
		cfg.Alerting.Alertmanagers = []string{alertmanager}
	}
	for _, n := range names {
		cfg.Hosts = append(cfg.Hosts, hosts.Host{Name: n, Hypervisor: hosts.KindLibvirt,
			Checks: []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs}})
	}
	return cfg
}

func startServer(t testing.TB, cfg *hosts.Config, reload func() (*hosts.Config, error)) *harness {
	t.Helper()
	return startServerWith(t, cfg, func(o *Options) { o.Reload = reload })
}

// startServerWith is startServer with the options adjusted by mutate.
func startServerWith(t testing.TB, cfg *hosts.Config, mutate func(*Options)) *harness {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{sched: newFakeScheduler(), base: "http://" + l.Addr().String(), log: &syncBuffer{},
		reloads: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	opts := Options{Config: cfg, Scheduler: h.sched, Logger: slog.New(slog.NewTextHandler(h.log, nil)),
		Version: "test", MetricsListener: l, Reloads: h.reloads}
	mutate(&opts)
	go func() { errc <- Run(ctx, opts) }()
	h.stop = func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return")
		}
		return nil
	}
	return h
}

func (h *harness) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(h.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitLog waits until the log holds want.
func (h *harness) waitLog(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q:\n%s", want, h.log.String())
		}
		time.Sleep(5 * time.Millisecond) // polling the log under a bound
	}
}

func TestServeAlertsMetricsAndShutdown(t *testing.T) {
	rec, am := newRecorder(200)
	defer am.Close()
	h := startServer(t, testConfig(am.URL, "kvm1", "kvm2"), nil)
	if code, _ := h.get(t, "/-/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/-/ready before any report = %d, want 503", code)
	}
	if code, body := h.get(t, "/-/healthy"); code != 200 || !strings.Contains(body, "Healthy") {
		t.Errorf("/-/healthy = %d %q", code, body)
	}
	web := probes.VM{Name: "web", State: "running"}
	h.sched.updates <- report("kvm1", t0, nil, web)
	kvm2 := report("kvm2", t0, nil, probes.VM{Name: "db", State: "running"})
	kvm2.Backups = []probes.BackupResult{
		{Spec: "nightly", Newest: "/b/n.qcow2", Age: time.Hour, Size: 5e9, Verify: probes.BackupVerifyOK},
		{Spec: "bad", Newest: "/b/x", Age: time.Minute, Size: 10, Verify: probes.BackupVerifyMismatch},
		{Spec: "none"}}
	kvm2.Pools = []probes.Pool{{Name: "default", State: "running", Capacity: 400, Allocation: 100}, {Name: "off"}}
	kvm2.Resources = &probes.Resources{MemTotal: 8 << 30, MemFree: 2 << 30, MemCommitted: 4 << 30}
	h.sched.updates <- kvm2
	h.waitLog(t, "msg=ready hosts=2")
	if code, _ := h.get(t, "/-/ready"); code != 200 {
		t.Errorf("/-/ready after a round = %d, want 200", code)
	}

	h.sched.updates <- report("kvm1", t0.Add(time.Second), map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	var got []postableAlert
	if err := json.Unmarshal(waitBody(t, rec.bodies), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Labels["alertname"] != "HypervisorDown" || got[0].Labels["host"] != "kvm1" ||
		got[0].Annotations["running_vms"] != "web" || !got[0].EndsAt.After(time.Now().Add(3*time.Minute)) {
		t.Errorf("alert sent = %+v", got)
	}
	h.waitLog(t, `msg="status change" host=kvm1 check=hypervisor from=OK to=CRIT`)

	_, body := h.get(t, "/metrics")
	// every metric the issue names, with its labels
	for _, want := range []string{
		`hvconsole_host_up{host="kvm1",region="eu"} 1`,
		`hvconsole_vms{host="kvm2",region="eu",state="running"} 1`,
		`hvconsole_host_memory_bytes{host="kvm2",kind="total",region="eu"} 8.589934592e+09`,
		`hvconsole_host_memory_bytes{host="kvm2",kind="free",region="eu"} 2.147483648e+09`,
		`hvconsole_host_memory_bytes{host="kvm2",kind="committed",region="eu"} 4.294967296e+09`,
		`hvconsole_probe_duration_seconds{host="kvm1",region="eu"} `,
		`hvconsole_last_report_timestamp_seconds{host="kvm1",region="eu"} 1.795748401e+09`,
		`hvconsole_hypervisor_up{host="kvm1",hypervisor="libvirt",region="eu"} 0`,
		`hvconsole_hypervisor_up{host="kvm2",hypervisor="libvirt",region="eu"} 1`,
		`hvconsole_check_status{check="hypervisor",host="kvm1",region="eu",status="CRIT"} 1`,
		`hvconsole_domain_state{domain="db",host="kvm2",region="eu",state="running"} 1`,
		`hvconsole_alerts_sent_total{outcome="dropped",region="eu",sink="` + am.URL + `"} 0`,
		`hvconsole_alerts_firing{region="eu"} 1`,
		`hvconsole_backup_newest_bytes{backup="nightly",host="kvm2",region="eu"} 5e+09`,
		`hvconsole_backup_last_success_timestamp_seconds{backup="nightly",host="kvm2",region="eu"} 1.7957448e+09`,
		`hvconsole_backup_newest_bytes{backup="bad",host="kvm2",region="eu"} 10`,
		`hvconsole_storage_pool_fill_ratio{host="kvm2",pool="default",region="eu"} 0.25`,
		`hvconsole_build_info{goversion="go`,
		`# HELP hvconsole_last_report_timestamp_seconds Unix time of the host's latest report. A scrape reads the latest reports and never starts a probe`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, unwanted := range []string{`backup="none"`, `pool="off"`,
		`hvconsole_backup_last_success_timestamp_seconds{backup="bad"`,
		// one series per check and VM, for its current status or state
		`hvconsole_check_status{check="hypervisor",host="kvm1",region="eu",status="OK"}`,
		`hvconsole_domain_state{domain="db",host="kvm2",region="eu",state="paused"}`,
		`hvconsole_vms{host="kvm2",region="eu",state="paused"}`, `hvconsole_domains_omitted`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("metrics hold %s", unwanted)
		}
	}
	promtool(t, body)
	if code, landing := h.get(t, "/"); code != 200 || !strings.Contains(landing, `href="/metrics"`) {
		t.Errorf("landing page = %d, links to /metrics: %v", code, strings.Contains(landing, "/metrics"))
	}

	if err := h.stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	select {
	case b := <-rec.bodies:
		t.Errorf("stopping sent %s; nothing may resolve because serve stops", b)
	default:
	}
}

// promtool checks the exposition with Prometheus' own linter.
func promtool(t *testing.T, exposition string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (lab/lab.sh install puts it there)")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestServeReload(t *testing.T) {
	bad := &hosts.ConfigError{Path: "fleet.toml", Problems: []hosts.Problem{
		{Pos: hosts.Pos{Line: 3, Col: 9}, KeyPath: "hosts[0].port", Reason: "port 0 out of range 1-65535"},
		{Pos: hosts.Pos{Line: 7, Col: 1}, KeyPath: "bell", Reason: "wrong type"}}}
	next := testConfig("", "kvm1", "new")
	var mu sync.Mutex
	answer := error(bad)
	h := startServer(t, testConfig("", "kvm1", "kvm2"), func() (*hosts.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		if answer != nil {
			return nil, answer
		}
		return next, nil
	})
	h.sched.updates <- report("kvm2", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	h.reloads <- struct{}{}
	h.waitLog(t, "reload failed: keeping the running config")
	for _, want := range []string{"fleet.toml:3:9: hosts[0].port: port 0 out of range", "fleet.toml:7:1: bell: wrong type"} {
		if !strings.Contains(h.log.String(), want) {
			t.Errorf("log lacks problem %q", want)
		}
	}
	if len(h.sched.applied) != 0 {
		t.Error("an invalid config reached the scheduler")
	}
	mu.Lock()
	answer = nil
	mu.Unlock()
	h.reloads <- struct{}{}
	h.waitLog(t, "msg=reloaded hosts=2 started=new stopped=kvm2")
	if !strings.Contains(h.log.String(), `msg="alert resolved" alertname=HypervisorDown host=kvm2`) {
		t.Errorf("removed host's alert not resolved:\n%s", h.log.String())
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.sched.mu.Lock()
	defer h.sched.mu.Unlock()
	if len(h.sched.applied) != 1 || h.sched.applied[0] != next {
		t.Errorf("scheduler got %d configs, want the valid one", len(h.sched.applied))
	}
}

func TestServeRefusesBadWebConfig(t *testing.T) {
	cfg := testConfig("", "kvm1")
	cfg.Serve.WebConfig = "/nonexistent/web.yml"
	err := Run(t.Context(), Options{Config: cfg, Scheduler: newFakeScheduler(), Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "web config") {
		t.Errorf("Run = %v, want a web config error", err)
	}
}
