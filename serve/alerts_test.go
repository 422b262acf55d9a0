package serve

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func alertingCfg() hosts.Alerting {
	return hosts.Alerting{ResendInterval: time.Minute, ResolvedRetention: 15 * time.Minute,
		MinSeverity: hosts.SeverityWarning, ExternalLabels: map[string]string{"region": "eu"},
		RunbookURL: "https://wiki/{{.AlertName}}/{{.Host}}/{{.Check}}"}
}

// report builds a libvirt host's report with the given check statuses.
func report(host string, at time.Time, checks map[string]probes.Status, vms ...probes.VM) probes.HostReport {
	rep := probes.HostReport{Host: host, Kind: hosts.KindLibvirt, Time: at, VMs: vms}
	for _, c := range []string{hosts.CheckSSH, hosts.CheckHypervisor, hosts.CheckVMs} {
		st := checks[c]
		rep.Checks = append(rep.Checks, probes.Result{Host: host, Check: c, Status: st,
			Summary: c + " " + st.String(), Time: at})
	}
	rep.Status = probes.WorstOf(rep.Checks)
	return rep
}

func names(list []*alert) []string {
	var out []string
	for _, a := range list {
		state := "firing"
		if !a.firing() {
			state = "resolved"
		}
		out = append(out, a.Labels["alertname"]+"@"+a.Labels["host"]+"="+state)
	}
	slices.Sort(out)
	return out
}

func TestAlertsLifecycle(t *testing.T) {
	a := newAlerts(alertingCfg(), "dc1")
	web := probes.VM{Name: "web", State: "running"}
	db := probes.VM{Name: "db", State: "running"}
	if got := a.observe(report("kvm1", t0, nil, web, db), t0); len(got) != 0 {
		t.Fatalf("healthy host raised %v", names(got))
	}
	down := report("kvm1", t0.Add(time.Second), map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT,
		hosts.CheckVMs: probes.UNKNOWN})
	got := a.observe(down, t0.Add(time.Second))
	if diff := cmp.Diff([]string{"HypervisorDown@kvm1=firing"}, names(got)); diff != "" {
		t.Fatalf("fault (-want +got):\n%s", diff)
	}
	hd := got[0]
	wantLabels := map[string]string{"alertname": "HypervisorDown", "host": "kvm1", "check": "hypervisor",
		"severity": "critical", "hypervisor": "libvirt", "site": "dc1", "region": "eu"}
	if diff := cmp.Diff(wantLabels, hd.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if hd.Annotations["running_vms"] != "db, web" || hd.Annotations["runbook_url"] != "https://wiki/HypervisorDown/kvm1/hypervisor" ||
		hd.Annotations["summary"] != "kvm1: hypervisor CRIT" || !hd.StartsAt.Equal(t0.Add(time.Second)) {
		t.Errorf("annotations %v, startsAt %v", hd.Annotations, hd.StartsAt)
	}
	if got := a.observe(down, t0.Add(2*time.Second)); len(got) != 0 {
		t.Errorf("same fault again raised %v", names(got))
	}
	if a.firingCount() != 1 || len(a.due(t0.Add(3*time.Second))) != 1 {
		t.Errorf("firing %d, due %d; want 1, 1", a.firingCount(), len(a.due(t0)))
	}
	got = a.observe(report("kvm1", t0.Add(time.Minute), nil, web), t0.Add(time.Minute))
	if diff := cmp.Diff([]string{"HypervisorDown@kvm1=resolved"}, names(got)); diff != "" {
		t.Fatalf("recovery (-want +got):\n%s", diff)
	}
	if !got[0].ResolvedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("resolved at %v", got[0].ResolvedAt)
	}
	if n := len(a.due(t0.Add(10 * time.Minute))); n != 1 {
		t.Errorf("resolved alert resent %d times within retention, want 1", n)
	}
	if n := len(a.due(t0.Add(17 * time.Minute))); n != 0 {
		t.Errorf("resolved alert still resent after retention: %d", n)
	}
}

func TestAlertSeverityChangeIsANewAlert(t *testing.T) {
	a := newAlerts(alertingCfg(), "")
	a.observe(report("h", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.WARN}), t0)
	got := a.observe(report("h", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT}), t0)
	if diff := cmp.Diff([]string{"HypervisorDegraded@h=resolved", "HypervisorDown@h=firing"}, names(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, ok := got[0].Labels["site"]; ok {
		t.Error("site label without a site")
	}
}

func TestAlertThresholds(t *testing.T) {
	tests := []struct {
		name    string
		min     string
		unknown bool
		status  probes.Status
		want    int
	}{
		{"warning alerts at warning", hosts.SeverityWarning, false, probes.WARN, 1},
		{"warning does not alert at critical", hosts.SeverityCritical, false, probes.WARN, 0},
		{"critical alerts at critical", hosts.SeverityCritical, false, probes.CRIT, 1},
		{"unknown is quiet by default", hosts.SeverityWarning, false, probes.UNKNOWN, 0},
		{"unknown alerts when asked", hosts.SeverityWarning, true, probes.UNKNOWN, 1},
		{"unknown is a warning", hosts.SeverityCritical, true, probes.UNKNOWN, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := alertingCfg()
			cfg.MinSeverity, cfg.AlertUnknown = tc.min, tc.unknown
			a := newAlerts(cfg, "")
			got := a.observe(report("h", t0, map[string]probes.Status{hosts.CheckVMs: tc.status}), t0)
			if len(got) != tc.want {
				t.Errorf("got %v, want %d alerts", names(got), tc.want)
			}
		})
	}
}

func TestAlertNames(t *testing.T) {
	sshSummary := func(err error) string { _, s := (*probes.SSHTransport).ClassifyConnect(nil, err); return s }
	vm := func(state, reason string, autostart bool) probes.VM {
		v := probes.VM{Name: "v", State: state, Reason: reason, Autostart: autostart}
		v.Status = probes.VMStatus(v)
		return v
	}
	tests := []struct {
		check   string
		status  probes.Status
		summary string
		vms     []probes.VM
		want    string
	}{
		{hosts.CheckSSH, probes.CRIT, sshSummary(&sshx.HostKeyMismatchError{Host: "h", File: "kh", Line: 3}), nil, AlertHostKeyMismatch},
		{hosts.CheckSSH, probes.CRIT, sshSummary(&sshx.UnknownHostError{Host: "h"}), nil, AlertHostKeyUnknown},
		{hosts.CheckSSH, probes.CRIT, sshSummary(fmt.Errorf("x: %w", sshx.ErrUnreachable)), nil, AlertHostUnreachable},
		{hosts.CheckSSH, probes.CRIT, sshSummary(errors.New("refused")), nil, AlertHostUnreachable},
		{hosts.CheckHypervisor, probes.CRIT, "", nil, AlertHypervisorDown},
		{hosts.CheckVMs, probes.CRIT, "", []probes.VM{vm("running", "booted", false), vm("shutoff", "crashed", false)}, AlertVMCrashed},
		{hosts.CheckVMs, probes.WARN, "", []probes.VM{vm("paused", "ioerror", false)}, AlertVMPausedOnError},
		{hosts.CheckVMs, probes.WARN, "", []probes.VM{vm("shutoff", "shutdown", true)}, AlertVMAutostartDown},
		{hosts.CheckVMs, probes.WARN, "", nil, AlertNetworkDown},
		{hosts.CheckKVM, probes.CRIT, "", nil, AlertKVMUnavailable},
		{hosts.CheckBackups, probes.CRIT, "", nil, AlertBackupFailed},
		{hosts.CheckStorage, probes.CRIT, "", nil, AlertStoragePoolDegraded},
		{hosts.CheckResources, probes.WARN, "", nil, AlertResourcePressure},
		{hosts.CheckKVM, probes.UNKNOWN, "", nil, AlertCheckUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.want+"/"+tc.check, func(t *testing.T) {
			rep := probes.HostReport{Host: "h", VMs: tc.vms}
			got := alertName(rep, probes.Result{Check: tc.check, Status: tc.status, Summary: tc.summary})
			if got != tc.want {
				t.Errorf("alertName = %s, want %s (summary %q)", got, tc.want, tc.summary)
			}
		})
	}
}

func TestForgetResolvesAHostsAlerts(t *testing.T) {
	a := newAlerts(alertingCfg(), "")
	a.observe(report("gone", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT, hosts.CheckSSH: probes.WARN}), t0)
	a.observe(report("kept", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT}), t0)
	got := a.forget("gone", t0)
	if diff := cmp.Diff([]string{"HypervisorDown@gone=resolved", "HostUnreachable@gone=resolved"}, names(got),
		cmp.Transformer("sort", func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if a.firingCount() != 1 {
		t.Errorf("firing %d, want kept's 1", a.firingCount())
	}
}

// An alert that resolves and fires again within resolved_retention is
// resent as the firing instance only: Alertmanager stores one alert per
// label set, and the older resolved instance (ending before the new one
// starts, so not merged) sent beside it would resolve it there.
func TestAlertFlapResendsOnlyTheFiringInstance(t *testing.T) {
	a := newAlerts(alertingCfg(), "dc1")
	down := map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT}
	a.observe(report("kvm1", t0, down), t0)
	a.observe(report("kvm1", t0.Add(time.Minute), nil), t0.Add(time.Minute))
	if got := names(a.due(t0.Add(2 * time.Minute))); !slices.Equal(got, []string{"HypervisorDown@kvm1=resolved"}) {
		t.Fatalf("after the recovery, due = %v", got)
	}
	again := a.observe(report("kvm1", t0.Add(3*time.Minute), down), t0.Add(3*time.Minute))
	if diff := cmp.Diff([]string{"HypervisorDown@kvm1=firing"}, names(again)); diff != "" {
		t.Fatalf("the second fault (-want +got):\n%s", diff)
	}
	if got := names(a.due(t0.Add(4 * time.Minute))); !slices.Equal(got, []string{"HypervisorDown@kvm1=firing"}) {
		t.Errorf("resend after the flap = %v, want the firing instance alone", got)
	}
	a.observe(report("kvm1", t0.Add(5*time.Minute), nil), t0.Add(5*time.Minute))
	due := a.due(t0.Add(6 * time.Minute))
	if len(due) != 1 || !due[0].StartsAt.Equal(t0.Add(3*time.Minute)) || !due[0].ResolvedAt.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("after the second recovery, due = %v; want the second instance, resolved", names(due))
	}
}
