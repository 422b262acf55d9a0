package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/probes"
)

func drillHost(name string) hosts.Host {
	h := host(name)
	h.Backups = []hosts.Backup{{Name: "nightly", Path: "/srv/b/*.qcow2", Verify: remote.VerifyQemuImg},
		{Name: "bootable", Path: "/srv/c/*.qcow2", Drill: hosts.DrillBoot}}
	return h
}

func TestDrillRefusals(t *testing.T) {
	tests := []struct {
		name     string
		readOnly bool
		h        hosts.Host
		backup   string
		level    int
		want     error
		text     string
	}{
		{"read-only", true, drillHost("a"), "nightly", 1, ErrReadOnly, ""},
		{"not a spec of the host", false, drillHost("a"), "../../etc", 1, ErrNoSuchBackup, ""},
		{"L2 without drill = boot", false, drillHost("a"), "nightly", 2, ErrDrillLevel, `drill = "boot"`},
		{"level 7", false, drillHost("a"), "nightly", 7, ErrDrillLevel, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &fakeTransport{}
			r, path := newRunner(t, tc.readOnly, tr)
			res := r.Drill(t.Context(), DrillRequest{Host: tc.h, Backup: tc.backup, Level: tc.level})
			if res.Outcome != "refused" || !strings.Contains(res.Reason, tc.text) {
				t.Errorf("%s %q", res.Outcome, res.Reason)
			}
			if _, err := r.permitDrill(tc.h, DrillRequest{Backup: tc.backup, Level: tc.level}); !errors.Is(err, tc.want) && !(tc.readOnly && errors.Is(err, ErrReadOnly)) {
				t.Errorf("permit: %v, want %v", err, tc.want)
			}
			if len(tr.commands()) != 0 {
				t.Errorf("a refused drill ran %v", tr.commands())
			}
			recs := readAudit(t, path)
			if len(recs) != 1 || recs[0].Phase != PhaseRefused || recs[0].Action != ActionDrill {
				t.Errorf("audit %+v", recs)
			}
		})
	}
}

// One drill per host: a second one while the first runs is refused.
func TestDrillOnePerHost(t *testing.T) {
	tr := &fakeTransport{gate: make(chan struct{})}
	started := make(chan struct{}, 1)
	tr.onExec = func() {
		select {
		case started <- struct{}{}:
		default:
		}
	}
	r, _ := newRunner(t, false, tr)
	h := drillHost("a")
	done := make(chan probes.DrillResult, 1)
	go func() { done <- r.Drill(context.Background(), DrillRequest{Host: h, Backup: "nightly", Level: 1}) }()
	<-started
	second := r.Drill(t.Context(), DrillRequest{Host: h, Backup: "nightly", Level: 1})
	if second.Outcome != "refused" || !strings.Contains(second.Reason, ErrDrillBusy.Error()) {
		t.Errorf("second drill: %s %q", second.Outcome, second.Reason)
	}
	other := drillHost("b")
	close(tr.gate)
	first := <-done
	if first.Outcome == "refused" {
		t.Errorf("first drill refused: %s", first.Reason)
	}
	if res := r.Drill(t.Context(), DrillRequest{Host: other, Backup: "nightly", Level: 0}); res.Outcome == "refused" {
		t.Errorf("another host's drill refused: %s", res.Reason)
	}
}
