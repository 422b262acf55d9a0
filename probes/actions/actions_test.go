package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/probetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
		return
	}
	if os.Getenv(fsizeChildEnv) != "" {
		runFsizeChild()
		return
	}
	goleak.VerifyTestMain(m)
}

// fakeTransport is a fleet of hosts that answer restart commands: exits
// maps host name to exit code, and block makes every exec wait until its
// ctx ends. transport is the probetest.Transport that reaches them.
type fakeTransport struct {
	mu          sync.Mutex
	ran         []string
	exits       map[string]int
	unreachable map[string]bool
	block       bool
	// gate, when set, holds every Exec until it is closed; inflight and
	// peak count the commands held at once.
	gate           chan struct{}
	inflight, peak int
	// onExec runs as each command starts (between intent and outcome).
	onExec func()
	// execErr, when set, is every Exec's error.
	execErr error
	// stdout, when set, is every successful Exec's output.
	stdout string
}

func (f *fakeTransport) hold(ctx context.Context) error {
	f.mu.Lock()
	f.inflight++
	f.peak = max(f.peak, f.inflight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	select {
	case <-f.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errDown = errors.New("connection refused")

func (f *fakeTransport) transport() *probetest.Transport {
	return &probetest.Transport{ConnectFn: func(_ context.Context, h hosts.Host) (probes.Conn, error) {
		if f.unreachable[h.Name] {
			return nil, errDown
		}
		return &probetest.Conn{ExecFn: func(ctx context.Context, cmd string) (probes.ExecResult, error) {
			return f.exec(ctx, h.Name, cmd)
		}, Handshake: time.Millisecond, Trip: time.Millisecond}, nil
	}}
}

// exec answers one command on host.
func (f *fakeTransport) exec(ctx context.Context, host, cmd string) (probes.ExecResult, error) {
	f.mu.Lock()
	f.ran = append(f.ran, host+": "+cmd)
	code := f.exits[host]
	onExec := f.onExec
	f.mu.Unlock()
	if onExec != nil {
		onExec()
	}
	if f.block {
		<-ctx.Done()
		return probes.ExecResult{}, ctx.Err()
	}
	if f.execErr != nil {
		return probes.ExecResult{ExitCode: -1}, f.execErr
	}
	if f.gate != nil {
		if err := f.hold(ctx); err != nil {
			return probes.ExecResult{}, err
		}
	}
	if code != 0 {
		return probes.ExecResult{ExitCode: code, Stderr: []byte("Job for libvirtd.service failed.\x1b[31m\n")}, nil
	}
	if f.stdout != "" {
		return probes.ExecResult{Stdout: []byte(f.stdout)}, nil
	}
	return probes.ExecResult{Stdout: []byte("journal line\n")}, nil
}

func (f *fakeTransport) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ran...)
}

// fakeProber reports the hypervisor check OK after okAfter rounds.
type fakeProber struct {
	mu      sync.Mutex
	rounds  map[string]int
	okAfter int
}

func (p *fakeProber) Round(_ context.Context, hs []hosts.Host) []probes.HostReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]probes.HostReport, len(hs))
	for i, h := range hs {
		p.rounds[h.Name]++
		st := probes.CRIT
		if p.rounds[h.Name] > p.okAfter {
			st = probes.OK
		}
		out[i] = probes.HostReport{Host: h.Name, Status: st, Checks: []probes.Result{
			{Host: h.Name, Check: hosts.CheckHypervisor, Status: st, Summary: st.String()},
		}}
	}
	return out
}

func host(name string) hosts.Host {
	return hosts.Host{Name: name, User: "root", Units: []string{"libvirtd"}, Services: []string{"libvirtd"}, ProbeTimeout: time.Second}
}

func newRunner(t *testing.T, readOnly bool, tr *fakeTransport) (*Runner, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "audit.jsonl")
	log, err := OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	r := New(Options{ReadOnly: readOnly, Audit: log, Transport: tr.transport(), LocalUser: "alice",
		Prober: &fakeProber{rounds: map[string]int{}, okAfter: 1}, VerifyEvery: time.Millisecond})
	return r, path
}

func readAudit(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}
