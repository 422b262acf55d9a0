package actions

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/simfleet"
	"github.com/hvconsole/hvconsole/hosts/sshx"
	"github.com/hvconsole/hvconsole/probes"
	"github.com/hvconsole/hvconsole/probes/probetest"
)

// An action's summary, shown in the event log and by the CLI, says what
// happened in words; the audit's outcome record keeps the whole chain.
func TestActionSummariesAreWords(t *testing.T) {
	unconfirmed := fmt.Errorf("sshx: exec on a: %w: session closed locally: %w", probes.ErrExitUnknown, context.DeadlineExceeded)
	tests := []struct {
		name        string
		readOnly    bool
		tr          *fakeTransport
		restart, vm string // the summaries' words
		chain       string // in the audit record ("" when none is written)
	}{
		{"exec on a dead link", false, &fakeTransport{execErr: probetest.DeadLink("a")},
			"restart of libvirtd failed: exec: connection refused", "start of VM web failed: connection refused", "sshx: host a (127.0.0.1:22)"},
		{"no exit status", false, &fakeTransport{execErr: unconfirmed},
			"restart of libvirtd: outcome unknown, the command was sent but no exit status came (check the host before retrying): exec: no answer before the deadline",
			"start of VM web: outcome unknown, the request was sent but no answer came (check the VM before retrying): no answer before the deadline",
			"sshx: exec on a"},
		{"read-only", true, &fakeTransport{}, "restart of libvirtd refused: read-only mode", "start of VM web refused: read-only mode", ""},
	}
	for _, tc := range tests {
		t.Run("restart/"+tc.name, func(t *testing.T) {
			r, path := newRunner(t, tc.readOnly, tc.tr)
			res := r.Restart(t.Context(), []hosts.Host{host("a")}, "libvirtd")[0]
			assertSummary(t, res.Summary(), tc.restart, path, tc.chain)
		})
		t.Run("vm/"+tc.name, func(t *testing.T) {
			r, path := newVMRunner(t, tc.readOnly, tc.tr, &vmProber{state: "running"})
			res := r.VM(t.Context(), hyperVHost("a", remote.VMStart), remote.VMStart, []string{"web"})[0]
			assertSummary(t, res.Summary(), tc.vm, path, tc.chain)
		})
	}
}

// assertSummary checks a summary's words and, when chain is set, that the
// audit's last record holds the chain whole.
func assertSummary(t *testing.T, summary, want, auditPath, chain string) {
	t.Helper()
	if summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
	probetest.AssertWords(t, "summary", summary)
	if chain == "" {
		return
	}
	recs := readAudit(t, auditPath)
	if last := recs[len(recs)-1]; last.Phase != PhaseOutcome || !strings.Contains(last.Error, chain) {
		t.Errorf("audit %+v, want the outcome with the whole chain %q", last, chain)
	}
}

// A refusal in words, alone or inside another chain; errors.Is still sees
// its reason.
func TestRefusedErrorWords(t *testing.T) {
	refused := &RefusedError{Host: "h3", Action: ActionRestart,
		Reason: fmt.Errorf("libvirt connection for the boot drill: %w", probetest.DeadLink("h3"))}
	want := "restart on h3 refused: libvirt connection for the boot drill: connection refused"
	for _, err := range []error{refused, fmt.Errorf("probes: bulk: %w", refused)} {
		if got := probes.Words(err); got != want {
			t.Errorf("Words(%q) = %q, want %q", err, got, want)
		}
		if !errors.Is(err, sshx.ErrUnreachable) {
			t.Errorf("errors.Is(%q, ErrUnreachable) is false", err)
		}
	}
	if !strings.HasPrefix(refused.Error(), "actions: restart on h3 refused: libvirt connection for the boot drill: probes: exec on h3: sshx: ") {
		t.Errorf("Error() = %q, want the whole chain", refused.Error())
	}
}

// A refusal because the audit log cannot be written says so, in words.
func TestRefusedNoAuditIsWords(t *testing.T) {
	tr := &fakeTransport{}
	r, _ := newRunner(t, false, tr)
	if err := r.opts.Audit.Close(); err != nil {
		t.Fatal(err)
	}
	res := r.Restart(t.Context(), []hosts.Host{host("a")}, "libvirtd")[0]
	if s := res.Summary(); !strings.HasPrefix(s, "restart of libvirtd refused: audit log not writable: ") {
		t.Errorf("summary %q", s)
	}
	probetest.AssertWords(t, "summary", res.Summary())
	if len(tr.commands()) != 0 {
		t.Errorf("an unaudited restart ran: %q", tr.commands())
	}
}

// The L2 drill's reason and notes are words whatever broke (libvirt, the
// link, the destroy); the audit record keeps each chain whole.
func TestBootDrillSimWords(t *testing.T) {
	for name, faults := range map[string]simfleet.DrillFaults{
		"destroy fails":      {DestroyFails: true},
		"link lost for good": {DropLink: true, LinkStaysDown: true},
		"link drops once":    {DropLink: true},
		"create fails":       {CreateFails: true},
	} {
		t.Run(name, func(t *testing.T) {
			b := newBootSim(t, faults)
			res := b.drill(t.Context(), nil)
			probetest.AssertWords(t, "reason", res.Reason)
			for _, n := range res.Notes {
				probetest.AssertWords(t, "note", n)
			}
			probetest.AssertWords(t, "summary", res.Summary())
			if rec := b.outcome(t); faults != (simfleet.DrillFaults{CreateFails: true}) && !strings.Contains(rec.Error, "probes: ") {
				t.Errorf("audit error %q, want the whole chain", rec.Error)
			}
		})
	}
}

// An L2 drill stopped before it starts, by a dead link or a libvirt
// socket that cannot be reached (the preparation's refusal), reads as
// words; the audit's refusal keeps the whole chain.
func TestBootDrillRefusedWords(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		conn         func(h hosts.Host) (probes.Conn, error)
	}{
		{"host unreachable", "cannot find the newest backup: connection refused",
			func(h hosts.Host) (probes.Conn, error) { return nil, probetest.DeadLink(h.Name) }},
		{"libvirt socket unreachable", "libvirt connection for the boot drill: connection refused",
			func(h hosts.Host) (probes.Conn, error) {
				return &probetest.Conn{DialUnixFn: func(context.Context, string) (net.Conn, error) {
					return nil, probetest.DeadLink(h.Name)
				}}, nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBootSim(t, simfleet.DrillFaults{})
			b.runner.opts.Transport = &probetest.Transport{ConnectFn: func(_ context.Context, h hosts.Host) (probes.Conn, error) {
				return tc.conn(h)
			}}
			res := b.drill(t.Context(), nil)
			if res.Reason != tc.reason {
				t.Errorf("reason %q, want %q", res.Reason, tc.reason)
			}
			probetest.AssertWords(t, "summary", res.Summary())
			if recs := readAudit(t, b.audit); len(recs) != 1 || recs[0].Phase != PhaseRefused || !strings.Contains(recs[0].Error, "sshx: host") {
				t.Errorf("audit %+v, want the refusal with the whole chain", recs)
			}
		})
	}
}
