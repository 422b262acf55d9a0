package actions

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
)

// The L2 boot drill end to end against the simulated fleet (this machine
// has no KVM, so the boot level is tested only here): the real SSH layer,
// go-libvirt through the probes' reply guard, and a simulated host that
// runs the restore script, the overlay and clean-up commands over
// simulated scratch files, and answers capabilities, DomainCreateXML,
// DomainDestroy and the guest agent, with scripted faults.

// bootSim is one simulated host ready for boot drills.
type bootSim struct {
	host   *simfleet.Host
	h      hosts.Host
	runner *Runner
	audit  string
}

func newBootSim(t *testing.T, faults simfleet.DrillFaults) *bootSim {
	t.Helper()
	fl, err := simfleet.Start(t.Context(), simfleet.Options{Hosts: 1, Quiet: true, Seed: 17})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fl.Close() })
	cfg, err := hosts.Load(fl.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Hosts[0]
	h.RestoreDir = "/var/tmp/drills"
	h.Backups[0].Drill = hosts.DrillBoot
	h.Backups[0].DrillBootTimeout = 2 * time.Second
	sim := fl.Host(h.Name)
	sim.SetDrillFaults(faults)
	r, _, audit := drillRunner(t, sshx.Options{}, Options{AgentPoll: 20 * time.Millisecond})
	return &bootSim{host: sim, h: h, runner: r, audit: audit}
}

// drillRunner is a Runner over a real SSH pool made with po, with an audit
// log and a drill store in a temporary folder; o sets the rest.
func drillRunner(t *testing.T, po sshx.Options, o Options) (*Runner, *probes.DrillStore, string) {
	t.Helper()
	pool := sshx.NewPool(po)
	t.Cleanup(func() { pool.Close() })
	dir := t.TempDir()
	audit, err := OpenAuditLog(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	o.Audit, o.Transport = audit, probes.NewSSHTransport(pool)
	o.Drills = probes.NewDrillStore(filepath.Join(dir, "drills.json"))
	return New(o), o.Drills, audit.Path()
}

// drill runs an L2 drill of the host's spec, recording its phases.
func (b *bootSim) drill(ctx context.Context, progress func(DrillProgress)) probes.DrillResult {
	return b.runner.Drill(ctx, DrillRequest{Host: b.h, Backup: b.h.Backups[0].Name, Level: remote.DrillL2, Progress: progress})
}

// outcome is the audit log's outcome record of the drill (fails the test
// when there is none or the intent is missing).
func (b *bootSim) outcome(t *testing.T) Record {
	t.Helper()
	recs := readAudit(t, b.audit)
	if len(recs) != 2 || recs[0].Phase != PhaseIntent || recs[1].Phase != PhaseOutcome {
		t.Fatalf("audit records %+v, want intent then outcome", recs)
	}
	return recs[1]
}

// assertClean checks that no drill domain runs and no scratch file is left.
func (b *bootSim) assertClean(t *testing.T) {
	t.Helper()
	if d := b.host.DrillDomains(); len(d) != 0 {
		t.Errorf("drill domains left running: %v", d)
	}
	if f := b.host.DrillFiles(); len(f) != 0 {
		t.Errorf("scratch files left: %v", f)
	}
}

func TestBootDrillSim(t *testing.T) {
	tests := []struct {
		name    string
		faults  simfleet.DrillFaults
		outcome string // the drill's
		audit   string // the audit record's
		reason  string
	}{
		{"passes when the agent answers", simfleet.DrillFaults{AgentAfter: 3}, probes.DrillPassed, "ok", ""},
		{"agent never answers: timeout", simfleet.DrillFaults{AgentNever: true}, probes.DrillFailed, "failed",
			"guest agent did not answer within 2s"},
		{"agent answers an error", simfleet.DrillFaults{AgentError: "guest-ping is disabled"}, probes.DrillFailed, "failed",
			"guest agent answered an error: GenericError: guest-ping is disabled"},
		{"agent answers garbage", simfleet.DrillFaults{AgentGarbage: true}, probes.DrillUnknown, "unknown",
			"unreadable guest agent reply"},
		{"the guest powers off first", simfleet.DrillFaults{GuestStops: true}, probes.DrillFailed, "failed",
			"the guest stopped before its agent answered: Domain not found"},
		{"create fails", simfleet.DrillFaults{CreateFails: true}, probes.DrillFailed, "failed",
			"libvirt could not start the drill domain: operation failed: process exited while connecting to monitor"},
		{"link drops once mid-boot", simfleet.DrillFaults{DropLink: true}, probes.DrillUnknown, "unknown",
			"the libvirt connection was lost mid-boot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBootSim(t, tc.faults)
			var phases []string
			res := b.drill(t.Context(), func(p DrillProgress) {
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
			})
			if res.Outcome != tc.outcome || !strings.Contains(res.Reason, tc.reason) || strings.Contains(res.Reason, "probes: ") {
				t.Errorf("drill %s %q, want %s %q (notes %q)", res.Outcome, res.Reason, tc.outcome, tc.reason, res.Notes)
			}
			if rec := b.outcome(t); rec.Outcome != tc.audit || !strings.Contains(strings.Join(rec.Args, " "), "domain="+res.Domain) {
				t.Errorf("audit outcome %q args %q, want %q and the domain %s", rec.Outcome, rec.Args, tc.audit, res.Domain)
			}
			b.assertClean(t)
			if !strings.HasPrefix(res.Domain, remote.DrillDomainPrefix) {
				t.Errorf("domain %q", res.Domain)
			}
			if !tc.faults.CreateFails {
				wantPhases := "list copy overlay boot waiting for the guest agent cleanup done"
				if got := strings.Join(phases, " "); got != wantPhases {
					t.Errorf("phases %q, want %q", got, wantPhases)
				}
			}
			if xml := b.host.LastDrillXML(); strings.Contains(xml, "<interface") || !strings.Contains(xml, remote.GuestAgentChannel) {
				t.Errorf("domain XML:\n%s", xml)
			}
		})
	}
}

// Destroy fails: the domain remains, and the drill says so by name.
func TestBootDrillSimDestroyFails(t *testing.T) {
	b := newBootSim(t, simfleet.DrillFaults{DestroyFails: true})
	res := b.drill(t.Context(), nil)
	if res.Outcome != probes.DrillUnknown || !strings.Contains(res.Reason, "drill domain "+res.Domain+" NOT confirmed destroyed") {
		t.Errorf("drill %s %q", res.Outcome, res.Reason)
	}
	if !strings.Contains(strings.Join(res.Notes, "; "), "the guest booted") {
		t.Errorf("notes %q do not say the guest booted", res.Notes)
	}
	if rec := b.outcome(t); rec.Outcome != "unknown" || !strings.Contains(rec.Error, res.Domain) {
		t.Errorf("audit %q %q", rec.Outcome, rec.Error)
	}
	if d := b.host.DrillDomains(); len(d) != 1 || d[0] != res.Domain {
		t.Errorf("domains %v, want %s still there", d, res.Domain)
	}
	if f := b.host.DrillFiles(); len(f) != 0 {
		t.Errorf("scratch files left: %v", f)
	}
}

// Cancel while waiting for the agent: the domain is destroyed and the
// files removed all the same.
func TestBootDrillSimCancel(t *testing.T) {
	b := newBootSim(t, simfleet.DrillFaults{AgentNever: true})
	b.h.Backups[0].DrillBootTimeout = time.Minute
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res := b.drill(ctx, func(p DrillProgress) {
		if p.Phase == PhaseAgent {
			cancel()
		}
	})
	if res.Outcome != probes.DrillCancelled {
		t.Errorf("drill %s %q %q", res.Outcome, res.Reason, res.Notes)
	}
	if rec := b.outcome(t); rec.Outcome != "cancelled" {
		t.Errorf("audit %q", rec.Outcome)
	}
	b.assertClean(t)
}

// The link drops mid-boot and stays down: nothing can be confirmed, the
// drill is unknown and names the domain and the folder that may remain.
// (libvirtd autodestroys the guest with our connection, but we cannot
// see that from here.)
func TestBootDrillSimLinkLost(t *testing.T) {
	b := newBootSim(t, simfleet.DrillFaults{DropLink: true, LinkStaysDown: true})
	res := b.drill(t.Context(), nil)
	notes := strings.Join(res.Notes, "; ")
	scratch := "/var/tmp/drills/hvconsole-drill-"
	if res.Outcome != probes.DrillUnknown || !strings.Contains(res.Reason, res.Domain+" NOT confirmed destroyed") ||
		!strings.Contains(notes, scratch) || !strings.Contains(notes, "may remain") {
		t.Errorf("drill %s %q notes %q", res.Outcome, res.Reason, notes)
	}
	if rec := b.outcome(t); rec.Outcome != "unknown" {
		t.Errorf("audit %q", rec.Outcome)
	}
	if d := b.host.DrillDomains(); len(d) != 0 {
		t.Errorf("domains %v: the autodestroy domain outlived its connection", d)
	}
	if f := b.host.DrillFiles(); len(f) != 2 || !strings.HasPrefix(f[0], scratch) {
		t.Errorf("files %v, want the image and overlay left (the host is unreachable)", f)
	}
}

// Refusals before anything starts: no KVM, read-only, a spec without
// drill = "boot". Nothing runs on the host; the audit log has the refusal.
func TestBootDrillSimRefusals(t *testing.T) {
	tests := []struct {
		name   string
		faults simfleet.DrillFaults
		setup  func(*bootSim)
		reason string
	}{
		{"no KVM", simfleet.DrillFaults{NoKVM: true}, func(*bootSim) {}, "no KVM"},
		{"read-only", simfleet.DrillFaults{}, func(b *bootSim) { b.runner.opts.ReadOnly = true }, "read-only"},
		{"spec without drill = boot", simfleet.DrillFaults{}, func(b *bootSim) { b.h.Backups[0].Drill = hosts.DrillRestore }, `drill = "boot"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBootSim(t, tc.faults)
			tc.setup(b)
			res := b.drill(t.Context(), nil)
			if res.Outcome != "refused" || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("drill %s %q", res.Outcome, res.Reason)
			}
			recs := readAudit(t, b.audit)
			if len(recs) != 1 || recs[0].Phase != PhaseRefused {
				t.Errorf("audit %+v, want one refusal", recs)
			}
			if b.host.LastDrillXML() != "" {
				t.Error("a domain was created")
			}
			b.assertClean(t)
		})
	}
}
