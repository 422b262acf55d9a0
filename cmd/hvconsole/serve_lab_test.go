package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// Lab hosts 31-32 belong to the serve tests: 31 is faulted, 32 stays
// healthy so that an alert for it would be a false one.
const (
	labServeFault = 31
	labServeCalm  = 32
)

// serveProcess is the real hvconsole binary running `serve`.
type serveProcess struct {
	cmd    *exec.Cmd
	log    string
	err    error         // the exit, once exited is closed
	exited chan struct{} // closed when the process has been waited for
}

func startServe(t *testing.T, bin, cfg string) *serveProcess {
	t.Helper()
	p := &serveProcess{log: filepath.Join(t.TempDir(), "serve.log"), exited: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(bin, "serve", "--config", cfg)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitReady waits until serve answers /-/ready on listen.
func (p *serveProcess) waitReady(t *testing.T, listen string) {
	t.Helper()
	waitHTTP(t, "http://"+listen+"/-/ready", 30*time.Second, p.log)
}

func (p *serveProcess) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("serve exited with %v:\n%s", p.err, p.logText())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM:\n%s", p.logText())
	}
}

// serveConfig is a lab inventory of nums plus the [serve] and [alerting]
// tables.
func serveConfig(t *testing.T, lab *labtest.Lab, nums []int, tables string) string {
	t.Helper()
	path := labConfig(t, lab, lab.KnownHosts, nums, nil)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), "[defaults]\n", "[defaults]\nprobe_interval = \"2s\"\n", 1) + "\n" + tables
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func hasAlert(list []amAlert, name, host string) bool {
	for _, a := range list {
		if a.Labels["alertname"] == name && a.Labels["host"] == host && a.Status.State == "active" {
			return true
		}
	}
	return false
}

// TestServeLabMonitoring is the lab test of record for `hvconsole serve`
// with the real Prometheus and Alertmanager: scraping, an alert for a
// killed libvirtd (and only for that host) through Alertmanager to its
// webhook, resolution, Alertmanager restarting while an alert starts, a
// hanging webhook sink, and SIGHUP reloads.
func TestServeLabMonitoring(t *testing.T) {
	lab := labtest.Require(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	viaAM := newHookReceiver(t)  // Alertmanager's webhook receiver
	direct := newHookReceiver(t) // serve's own webhook sink
	hanging := httptestHanging(t)
	am := startAlertmanager(t, dir, viaAM.srv.URL)
	listen := freePort(t)
	const resend = 3 * time.Second
	tables := fmt.Sprintf(`[serve]
listen = %q
socket = %q
site = "lab"
[alerting]
alertmanagers = ["http://%s"]
webhooks = [%q, %q]
resend_interval = %q
resolved_retention = "1m"
`, listen, filepath.Join(dir, "serve.sock"), am.addr, hanging, direct.srv.URL, resend)
	faulted, calm := lab.Host(labServeFault).Name, lab.Host(labServeCalm).Name
	cfg := serveConfig(t, lab, []int{labServeFault, labServeCalm}, tables)
	srv := startServe(t, bin, cfg)
	srv.waitReady(t, listen)

	// 1. Prometheus scrapes serve.
	prom := startPrometheus(t, dir, listen)
	eventually(t, "Prometheus to scrape serve", 30*time.Second, func() bool {
		return promValue(t, prom.addr, `up{job="hvconsole"}`) == "1" &&
			promValue(t, prom.addr, `hvconsole_hypervisor_up{host="`+faulted+`"}`) == "1" &&
			promValue(t, prom.addr, `hvconsole_hypervisor_up{host="`+calm+`"}`) == "1"
	})

	// 2. libvirtd killed: HypervisorDown for that host only, in
	// Alertmanager and at its webhook; 5. serve's own webhook sink delivers
	// on time although another sink hangs.
	killed := time.Now()
	lab.Libvirtd(t, "kill", labServeFault)
	listed := eventually(t, "HypervisorDown in Alertmanager", 10*time.Second, func() bool {
		return hasAlert(amAlerts(t, am.addr), "HypervisorDown", faulted)
	})
	t.Logf("kill -9 libvirtd -> HypervisorDown listed by Alertmanager: %v", listed.Sub(killed))
	var hooked time.Time
	eventually(t, "HypervisorDown at Alertmanager's webhook", 10*time.Second, func() bool {
		var ok bool
		hooked, ok = viaAM.find(killed, "HypervisorDown", faulted, "firing")
		return ok
	})
	t.Logf("kill -9 libvirtd -> Alertmanager's webhook receiver got it: %v", hooked.Sub(killed))
	var direct1 time.Time
	eventually(t, "HypervisorDown at serve's webhook beside a hanging one", 10*time.Second, func() bool {
		var ok bool
		direct1, ok = direct.find(killed, "HypervisorDown", faulted, "firing")
		return ok
	})
	t.Logf("kill -9 libvirtd -> serve's webhook (beside a hanging sink): %v", direct1.Sub(killed))
	for _, a := range amAlerts(t, am.addr) {
		if a.Labels["host"] == calm {
			t.Errorf("alert for the healthy host: %v", a.Labels)
		}
	}

	// 3. libvirtd restarted: the alert resolves in Alertmanager.
	restarted := time.Now()
	lab.Libvirtd(t, "start", labServeFault)
	eventually(t, "HypervisorDown resolved in Alertmanager", 30*time.Second, func() bool {
		return !hasAlert(amAlerts(t, am.addr), "HypervisorDown", faulted)
	})
	eventually(t, "resolved at the webhook", 15*time.Second, func() bool {
		_, ok := viaAM.find(restarted, "HypervisorDown", faulted, "resolved")
		return ok
	})

	// 4. Alertmanager down while an alert starts, then up again: the alert
	// is there within resend_interval, and serve saw the fault at once.
	am.stop()
	killed = time.Now()
	lab.Libvirtd(t, "kill", labServeFault)
	seen := eventually(t, "serve to log the alert while Alertmanager is down", 10*time.Second, func() bool {
		return strings.Count(srv.logText(), `msg="alert firing" alertname=HypervisorDown host=`+faulted) >= 2
	})
	if d := seen.Sub(killed); d > 5*time.Second {
		t.Errorf("serve took %v to see the fault with Alertmanager down: probing was delayed", d)
	}
	am.start()
	back := time.Now()
	listed = eventually(t, "the alert after Alertmanager restarted", resend+5*time.Second, func() bool {
		return hasAlert(amAlerts(t, am.addr), "HypervisorDown", faulted)
	})
	t.Logf("Alertmanager ready -> alert listed again: %v (resend_interval %v)", listed.Sub(back), resend)
	if listed.Sub(back) > resend+time.Second {
		t.Errorf("alert took %v after Alertmanager came back, more than resend_interval %v", listed.Sub(back), resend)
	}
	lab.Libvirtd(t, "start", labServeFault)

	// 8. SIGHUP: a broken config keeps serving; a fixed one removes and
	// adds hosts.
	good, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append(append([]byte{}, good...), "\nbell = 7\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, "the broken reload to be refused", 10*time.Second, func() bool {
		return strings.Contains(srv.logText(), "reload failed: keeping the running config")
	})
	if !strings.Contains(srv.logText(), cfg+":") {
		t.Errorf("reload problems do not name file:line:col:\n%s", srv.logText())
	}
	waitHTTP(t, "http://"+listen+"/-/healthy", 5*time.Second, srv.log)
	only := serveConfig(t, lab, []int{labServeFault}, tables)
	data, _ := os.ReadFile(only)
	if err := os.WriteFile(cfg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, "the reload to remove "+calm, 20*time.Second, func() bool {
		return strings.Contains(srv.logText(), "stopped="+calm) &&
			promValue(t, prom.addr, `hvconsole_hypervisor_up{host="`+calm+`"}`) == ""
	})
	if err := os.WriteFile(cfg, good, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = srv.cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, "the reload to add "+calm+" back", 20*time.Second, func() bool {
		return strings.Contains(srv.logText(), "started="+calm) &&
			promValue(t, prom.addr, `hvconsole_hypervisor_up{host="`+calm+`"}`) == "1"
	})

	srv.stop(t)
}
