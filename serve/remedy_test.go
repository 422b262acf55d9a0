package serve

import (
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// An alert carries its cause's remedy as an annotation, and the runbook
// template sees the cause's key.
func TestAlertRemedyAndRunbookCause(t *testing.T) {
	cfg := alertingCfg()
	cfg.RunbookURL = "https://wiki/{{.AlertName}}/{{.Cause}}?host={{.Host}}"
	a := newAlerts(cfg, "dc1")
	rep := report("kvm1", t0, map[string]probes.Status{hosts.CheckHypervisor: probes.CRIT})
	rep.Checks[1].Summary = probes.SummaryNotRunning + ": libvirtd inactive"
	got := a.observe(rep, t0.Add(time.Second))
	if len(got) != 1 {
		t.Fatalf("alerts %v, want HypervisorDown", names(got))
	}
	ann := got[0].Annotations
	if want := "https://wiki/HypervisorDown/libvirtd-inactive?host=kvm1"; ann["runbook_url"] != want {
		t.Errorf("runbook_url %q, want %q", ann["runbook_url"], want)
	}
	if want := probes.Remedy(rep.Checks[1]); want == "" || ann["remedy"] != want {
		t.Errorf("remedy %q, want %q", ann["remedy"], want)
	}
}
