package reliability

import (
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/probes"
)

// The oracle must fail a run for each broken promise, and only then.
func TestJudge(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	rep := func(host string, s float64, st probes.Status, c cause) observed {
		return observed{host: host, at: at(s), status: st, cause: c, text: string(c)}
	}
	partition := injected{host: "a", kind: "partition", want: []cause{causeUnreachable}, detect: 5 * time.Second,
		recover: 5 * time.Second, start: at(10), repaired: at(30)}
	slowVerb := partition
	slowVerb.applied = at(12)
	latency := injected{host: "b", kind: "latency", recover: 5 * time.Second, start: at(10), repaired: at(30)}
	restart := injected{host: "a", kind: "restart", want: []cause{causeHypervisor, causeLibvirtLost},
		detect: 5 * time.Second, recover: 5 * time.Second, start: at(10), repaired: at(10.3), instant: true,
		seenIfDown: time.Second}
	freeze := injected{host: "a", kind: "freeze", want: []cause{causeHypervisor}, detect: 5 * time.Second,
		recover: 5 * time.Second, start: at(10), repaired: at(30)}
	// restarting is the injector's restart verb on host a (it ends the daemon).
	restarting := []span{{host: "a", from: at(10), to: at(10.3)}}
	tests := []struct {
		name                    string
		faults                  []injected
		reports                 []observed
		outages                 []outage
		ends                    []span
		missed, slow, falseAlrm int
	}{
		{"detected and recovered", []injected{partition}, []observed{
			rep("a", 9, probes.OK, causeNone), rep("a", 14, probes.CRIT, causeUnreachable),
			rep("a", 20, probes.UNKNOWN, causeOther), rep("a", 32, probes.OK, causeNone)}, nil, nil, 0, 0, 0},
		{"detected late", []injected{partition}, []observed{
			rep("a", 16, probes.CRIT, causeUnreachable), rep("a", 32, probes.OK, causeNone)}, nil, nil, 1, 0, 0},
		{"the bound counts from the end of a slow fault verb", []injected{slowVerb}, []observed{
			rep("a", 16, probes.CRIT, causeUnreachable), rep("a", 32, probes.OK, causeNone)}, nil, nil, 0, 0, 0},
		{"wrong cause is not a detection", []injected{partition}, []observed{
			rep("a", 12, probes.CRIT, causeHypervisor), rep("a", 32, probes.OK, causeNone)}, nil, nil, 1, 0, 0},
		{"never recovered", []injected{partition}, []observed{
			rep("a", 12, probes.CRIT, causeUnreachable), rep("a", 36, probes.CRIT, causeUnreachable)}, nil, nil, 0, 1, 1},
		{"alarm on an unfaulted host", []injected{partition}, []observed{
			rep("a", 12, probes.CRIT, causeUnreachable), rep("a", 31, probes.OK, causeNone),
			rep("c", 20, probes.WARN, causeOther)}, nil, nil, 0, 0, 1},
		{"alarm after recovery", []injected{partition}, []observed{
			rep("a", 12, probes.CRIT, causeUnreachable), rep("a", 31, probes.OK, causeNone),
			rep("a", 33, probes.CRIT, causeUnreachable)}, nil, nil, 0, 0, 1},
		{"a fault that must raise nothing raised something", []injected{latency}, []observed{
			rep("b", 15, probes.CRIT, causeUnreachable), rep("b", 31, probes.OK, causeNone)}, nil, nil, 0, 0, 1},
		{"a quiet benign fault", []injected{latency}, []observed{
			rep("b", 15, probes.OK, causeNone), rep("b", 31, probes.OK, causeNone)}, nil, nil, 0, 0, 0},
		{"an instant fault recovers after its detection", []injected{restart}, []observed{
			rep("a", 10.5, probes.OK, causeNone), rep("a", 11, probes.CRIT, causeHypervisor),
			rep("a", 12, probes.OK, causeNone)}, nil, nil, 0, 0, 0},
		{"the lab's own outage is no false alarm", []injected{partition}, []observed{
			rep("a", 12, probes.CRIT, causeUnreachable), rep("a", 31, probes.OK, causeNone),
			rep("c", 20, probes.CRIT, causeHypervisor), rep("c", 25, probes.OK, causeNone)},
			[]outage{{host: "c", from: at(19), to: at(24)}}, nil, 0, 0, 0},
		{"but an outage the sampler did not see is", []injected{partition}, []observed{
			rep("a", 12, probes.CRIT, causeUnreachable), rep("a", 31, probes.OK, causeNone),
			rep("c", 20, probes.CRIT, causeHypervisor)},
			[]outage{{host: "c", from: at(40), to: at(44)}}, nil, 0, 0, 1},
		{"a restart under a VM list read is its own report", []injected{restart}, []observed{
			rep("a", 10.2, probes.UNKNOWN, causeLibvirtLost), rep("a", 10.5, probes.CRIT, causeHypervisor),
			rep("a", 11, probes.OK, causeNone)},
			[]outage{{host: "a", from: at(10.2), to: at(10.4)}}, restarting, 0, 0, 0},
		{"a restart seen as a lost connection", []injected{restart}, []observed{
			rep("a", 10.2, probes.UNKNOWN, causeLibvirtLost), rep("a", 10.4, probes.OK, causeNone)},
			[]outage{{host: "a", from: at(10.2), to: at(10.2)}}, restarting, 0, 0, 0},
		{"a restart reported as unreachable is a false alarm", []injected{restart}, []observed{
			rep("a", 10.2, probes.CRIT, causeUnreachable), rep("a", 11, probes.OK, causeNone)}, nil, restarting, 0, 0, 1},
		{"a restart with the daemon down 1 s or more must be seen", []injected{restart}, []observed{
			rep("a", 10.5, probes.OK, causeNone), rep("a", 12, probes.OK, causeNone)},
			[]outage{{host: "a", from: at(10.1), to: at(11.4)}}, restarting, 1, 0, 0},
		{"a shorter restart nothing reported is no miss", []injected{restart}, []observed{
			rep("a", 10.5, probes.OK, causeNone), rep("a", 12, probes.OK, causeNone)},
			[]outage{{host: "a", from: at(10.1), to: at(11.1)}}, restarting, 0, 0, 0},
		{"a lost connection is not a frozen daemon", []injected{freeze}, []observed{
			rep("a", 12, probes.UNKNOWN, causeLibvirtLost), rep("a", 31, probes.OK, causeNone)}, nil, nil, 1, 0, 0},
		{"the restart's outage is injected: a later alarm is false", []injected{restart}, []observed{
			rep("a", 10.2, probes.CRIT, causeHypervisor), rep("a", 10.6, probes.OK, causeNone),
			rep("a", 20, probes.CRIT, causeHypervisor)},
			[]outage{{host: "a", from: at(10.2), to: at(10.4)}}, restarting, 0, 0, 1},
		{"a daemon that dies during a freeze is the lab's", []injected{freeze}, []observed{
			rep("a", 14, probes.CRIT, causeHypervisor), rep("a", 31, probes.OK, causeNone),
			rep("a", 40, probes.CRIT, causeHypervisor), rep("a", 41, probes.UNKNOWN, causeLibvirtLost)},
			[]outage{{host: "a", from: at(32), to: at(50)}}, nil, 0, 0, 0},
		{"the lab's outage excuses only reports naming the hypervisor", []injected{partition}, []observed{
			rep("a", 12, probes.CRIT, causeUnreachable), rep("a", 31, probes.OK, causeNone),
			rep("c", 20, probes.CRIT, causeUnreachable)},
			[]outage{{host: "c", from: at(19), to: at(24)}}, nil, 0, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := judge(tc.faults, tc.reports, tc.outages, tc.ends)
			if len(v.Missed) != tc.missed || len(v.SlowRecoveries) != tc.slow || len(v.FalseAlarms) != tc.falseAlrm {
				t.Errorf("missed %q, slow %q, false alarms %q; want %d, %d, %d",
					v.Missed, v.SlowRecoveries, v.FalseAlarms, tc.missed, tc.slow, tc.falseAlrm)
			}
			if v.failed() != (tc.missed+tc.slow+tc.falseAlrm > 0) {
				t.Errorf("failed() = %v", v.failed())
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0, 1}, {0.5, 3}, {0.99, 5}, {1, 5}} {
		if got := quantile(ds, tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}

// The oracle reads a lost libvirt connection from the report, and nothing
// else as one.
func TestCauseOf(t *testing.T) {
	res := func(check string, st probes.Status, sum string) probes.Result {
		return probes.Result{Check: check, Status: st, Summary: sum}
	}
	okSSH, okHV := res(hosts.CheckSSH, probes.OK, "reachable"), res(hosts.CheckHypervisor, probes.OK, "libvirt 9.0.0")
	for _, tc := range []struct {
		name   string
		status probes.Status
		checks []probes.Result
		want   cause
	}{
		{"ok", probes.OK, []probes.Result{okSSH, okHV}, causeNone},
		{"checking the link", probes.UNKNOWN, []probes.Result{okSSH,
			res(hosts.CheckHypervisor, probes.UNKNOWN, "libvirt connection lost: checking the link")}, causeLibvirtLost},
		{"lost under the VM list", probes.UNKNOWN, []probes.Result{okSSH, okHV,
			res(hosts.CheckVMs, probes.UNKNOWN, "VM list unavailable: connection lost during the call")}, causeLibvirtLost},
		{"a slow VM list is not a lost connection", probes.UNKNOWN, []probes.Result{okSSH, okHV,
			res(hosts.CheckVMs, probes.UNKNOWN, "VM list unavailable: no answer before the deadline")}, causeOther},
		{"unreachable", probes.CRIT, []probes.Result{res(hosts.CheckSSH, probes.CRIT, "unreachable: ssh connection lost"),
			res(hosts.CheckHypervisor, probes.UNKNOWN, "host unreachable")}, causeUnreachable},
		{"a link in doubt is not a lost connection", probes.UNKNOWN, []probes.Result{res(hosts.CheckSSH, probes.UNKNOWN, "?"),
			res(hosts.CheckHypervisor, probes.UNKNOWN, "link in doubt")}, causeOther},
	} {
		if got := causeOf(probes.HostReport{Status: tc.status, Checks: tc.checks}); got != tc.want {
			t.Errorf("%s: cause %q, want %q", tc.name, got, tc.want)
		}
	}
}
