package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// virshRemote is a host that answers one batch exec from a script of
// parts; it records the commands it was asked to run. conn is the Conn
// that reaches it.
type virshRemote struct {
	parts  []virshPart // one per batch command, in order
	stderr string
	err    error // returned by Exec when set
	hang   bool  // Exec blocks until its ctx ends
	trunc  bool
	got    []string
	execs  int
}

type virshPart struct {
	out  string
	exit int // -1: frame never closed
}

func (r *virshRemote) conn() Conn { return &stubConn{ExecFn: r.exec, Handshake: time.Millisecond} }

func (r *virshRemote) exec(ctx context.Context, cmd string) (ExecResult, error) {
	r.execs++
	boundary, cmds, ok := remote.UnBatch(cmd)
	if !ok {
		return ExecResult{}, fmt.Errorf("not a batch: %q", cmd)
	}
	r.got = cmds
	if r.hang {
		<-ctx.Done()
		return ExecResult{}, ctx.Err()
	}
	if r.err != nil {
		return ExecResult{}, r.err
	}
	var b strings.Builder
	for i, p := range r.parts {
		fmt.Fprintf(&b, "@@hv:%s:%d\n%s", boundary, i, p.out)
		if p.exit < 0 {
			break
		}
		fmt.Fprintf(&b, "@@hv:%s:%d:%d\n", boundary, i, p.exit)
	}
	return ExecResult{Stdout: []byte(b.String()), Stderr: []byte(r.stderr), Truncated: r.trunc}, nil
}

const (
	virshVersionOut = "Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\n" +
		"Using API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.0\nRunning against daemon: 9.0.1\n\n"
	virshStatsOut = "Domain: 'web-1'\n  state.state=1\n  state.reason=1\n\n" +
		"Domain: 'db 'prod' \x1b[31m'\n  state.state=3\n  state.reason=5\n\n" +
		"Domain: 'spare-1'\n  state.state=5\n  state.reason=3\n\n" +
		"Domain: 'alpha'\n  state.state=9\n  state.reason=0\n\n"
	virshAutoOut    = "web-1\nspare-1\n\n"
	virshDownStderr = "error: failed to connect to the hypervisor\n" +
		"error: Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': No such file or directory\n"
)

func healthyVirsh() *virshRemote {
	return &virshRemote{parts: []virshPart{{virshVersionOut, 0}, {virshStatsOut, 0},
		{remote.HexDump([]byte(virshAutoOut)), 0}}}
}

func virshHost() hosts.Host {
	h := testHost("hv1")
	h.LibvirtURI = "test:///etc/libvirt/node.xml"
	h.ProbeTimeout = 3 * time.Second
	return h
}

func TestVirshFactsHealthy(t *testing.T) {
	r := healthyVirsh()
	got, err := virshFacts(t.Context(), r.conn(), virshHost())
	if err != nil {
		t.Fatal(err)
	}
	want := virshResult{
		URI:     "test+unix:///etc/libvirt/node.xml",
		Version: remote.VirshVersions{LibVersion: 9000001, HVType: "QEMU", HVVersion: 7002000},
		VMs: []VM{
			{Name: "alpha", State: "state-9", Reason: "reason-0"},
			{Name: "db 'prod'", State: "paused", Reason: "ioerror"},
			{Name: "spare-1", State: "shutoff", Reason: "crashed", Autostart: true},
			{Name: "web-1", State: "running", Reason: "booted", Autostart: true},
		},
	}
	if diff := cmp.Diff(want, got, cmpIgnoreLatency); diff != "" {
		t.Errorf("VirshFacts (-want +got):\n%s", diff)
	}
	for i, q := range virshQueries {
		want, _ := remote.VirshCommand("test:///etc/libvirt/node.xml", q, 3*time.Second)
		if i >= len(r.got) || r.got[i] != want {
			t.Errorf("command %d = %q, want %q", i, r.got, want)
		}
	}
	if r.execs != 1 {
		t.Errorf("%d execs, want one batch", r.execs)
	}
}

var cmpIgnoreLatency = cmp.Transformer("noLatency", func(v virshResult) virshResult {
	v.Latency = 0
	return v
})

func TestVirshFactsFailures(t *testing.T) {
	down := func(exit int) *virshRemote {
		return &virshRemote{stderr: virshDownStderr, parts: []virshPart{{"", exit}, {"", exit}, {"", exit}}}
	}
	withPart := func(i int, p virshPart) *virshRemote {
		r := healthyVirsh()
		r.parts[i] = p
		return r
	}
	tests := []struct {
		name   string
		r      *virshRemote
		uri    string
		is     error
		wantVE string // virshError message when set
	}{
		{"daemon down", down(1), "", nil, "failed to connect to the hypervisor; Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': No such file or directory"},
		{"virsh missing", down(127), "", errVirshMissing, ""},
		{"virsh not executable", down(126), "", errVirshMissing, ""},
		{"remote timeout", down(124), "", errCallTimeout, ""},
		{"remote timeout kill", down(137), "", errCallTimeout, ""},
		{"garbage version", withPart(0, virshPart{"<html>\n", 0}), "", remote.ErrUnparseable, ""},
		{"no daemon line", withPart(0, virshPart{"Using library: libvirt 9.0.0\n", 0}), "", remote.ErrUnparseable, ""},
		{"garbage stats", withPart(1, virshPart{"Domain: web\n", 0}), "", remote.ErrUnparseable, ""},
		{"stats cut short", withPart(1, virshPart{"Domain: 'a'\n  state.state=1\n", -1}), "", remote.ErrUnparseable, ""},
		{"autostart failed", withPart(2, virshPart{"", 1}), "", nil, "no error text"},
		{"autostart not hex", withPart(2, virshPart{virshAutoOut, 0}), "", remote.ErrUnparseable, ""},
		{"truncated", func() *virshRemote { r := healthyVirsh(); r.trunc = true; return r }(), "", remote.ErrUnparseable, ""},
		{"exec error", &virshRemote{err: net.ErrClosed}, "", net.ErrClosed, ""},
		{"hung exec", &virshRemote{hang: true}, "", errCallTimeout, ""},
		{"uri for another host", healthyVirsh(), "qemu+ssh://other/system", remote.ErrBadArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := virshHost()
			if tt.uri != "" {
				h.LibvirtURI = tt.uri
			}
			if tt.r.hang {
				h.ProbeTimeout = 50 * time.Millisecond
			}
			_, err := virshFacts(t.Context(), tt.r.conn(), h)
			var ve *virshError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.wantVE != "":
				if !errors.As(err, &ve) || ve.Message != tt.wantVE {
					t.Fatalf("error %v, want VirshError %q", err, tt.wantVE)
				}
			case !errors.Is(err, tt.is):
				t.Fatalf("error %v, want %v", err, tt.is)
			}
			if tt.uri != "" && tt.r.execs != 0 {
				t.Error("a refused URI still ran a command")
			}
		})
	}
}

func TestVirshErrorText(t *testing.T) {
	e := &virshError{Query: remote.VirshDomStates, Exit: 1, Message: "failed to connect to the hypervisor"}
	want := "probes: virsh domstats --state --raw: exit 1: failed to connect to the hypervisor"
	if e.Error() != want {
		t.Errorf("%q, want %q", e.Error(), want)
	}
	if got := virshMessage("warning\n\x1b[2Jerror: x\x07y\n"); got != "xy" {
		t.Errorf("message %q", got)
	}
}

func TestDiagnoseTunnel(t *testing.T) {
	openFailed := fmt.Errorf("sshx: %w", sshChannelRefused(false, "open failed"))
	prohibited := fmt.Errorf("sshx: %w", sshChannelRefused(true, ""))
	downRemote := func(exit int) *virshRemote {
		return &virshRemote{stderr: virshDownStderr, parts: []virshPart{{"", exit}, {"", exit}, {"", exit}}}
	}
	tests := []struct {
		name    string
		dialErr error
		r       *virshRemote
		want    tunnelVerdict
		wantErr bool
		execs   int
	}{
		{"not a refusal", context.DeadlineExceeded, healthyVirsh(), tunnelNotRefused, false, 0},
		{"refused, virsh answers", openFailed, healthyVirsh(), tunnelForwardingRefused, false, 1},
		{"refused, daemon down", openFailed, downRemote(1), tunnelDaemonDown, true, 1},
		{"prohibited, daemon down", prohibited, downRemote(1), tunnelDaemonDown, true, 1},
		{"prohibited, no virsh", prohibited, downRemote(127), tunnelForwardingRefused, true, 1},
		{"refused, no virsh", openFailed, downRemote(127), tunnelUndecided, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, res, err := diagnoseTunnel(t.Context(), tt.r.conn(), virshHost(), tt.dialErr)
			if v != tt.want || (err != nil) != tt.wantErr || tt.r.execs != tt.execs {
				t.Fatalf("verdict %v, err %v, execs %d; want %v, err %v, execs %d", v, err, tt.r.execs, tt.want, tt.wantErr, tt.execs)
			}
			if v == tunnelForwardingRefused && err == nil && len(res.VMs) == 0 {
				t.Error("forwarding refused but no facts returned")
			}
		})
	}
	if s := tunnelVerdict(42).String(); s != "TunnelVerdict(42)" {
		t.Errorf("String %q", s)
	}
}
