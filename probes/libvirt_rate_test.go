package probes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/digitalocean/go-libvirt"

	"github.com/hvconsole/hvconsole/hosts/remote"
	"github.com/hvconsole/hvconsole/hosts/sshx"
)

func TestHypervisorResult(t *testing.T) {
	h := testHost("hv1")
	up := hvFacts{libVer: 9000000, hvVer: 8002000, hvType: "QEMU"}
	down := hvFacts{err: fmt.Errorf("probes: libvirt version: %w", errCallTimeout)}
	active := []remote.UnitState{{Unit: "libvirtd", State: "active"}}
	tests := []struct {
		name string
		hv   hvFacts
		u    unitFacts
		want Status
		sum  string
	}{
		{"up, units active", up, unitFacts{states: active, known: true, fresh: true}, OK, "libvirt 9.0.0, QEMU 8.2.0"},
		{"up, units cached", up, unitFacts{states: active, known: true}, OK, "libvirt 9.0.0, QEMU 8.2.0"},
		{"up, unit inactive (cached)", up, unitFacts{states: []remote.UnitState{{Unit: "libvirtd", State: "inactive"}}, known: true},
			WARN, "libvirt 9.0.0, QEMU 8.2.0; libvirtd inactive"},
		{"up, old unit error", up, unitFacts{err: remote.ErrUnparseable, known: true}, OK, "libvirt 9.0.0, QEMU 8.2.0"},
		{"up, fresh unit garbage", up, unitFacts{err: remote.ErrUnparseable, known: true, fresh: true},
			UNKNOWN, "libvirt 9.0.0, QEMU 8.2.0; unit state unknown: unparseable output"},
		{"no type", hvFacts{libVer: 9000000, hvVer: 2}, unitFacts{}, OK, "libvirt 9.0.0, hypervisor 0.0.2"},
		{"down, inactive", down, unitFacts{states: []remote.UnitState{{Unit: "libvirtd", State: "inactive"}, {Unit: "virtlogd", State: "failed"}},
			known: true, fresh: true}, CRIT, "hypervisor not running: libvirtd inactive, virtlogd failed"},
		{"down, active", down, unitFacts{states: active, known: true, fresh: true},
			CRIT, "hypervisor not running: libvirt API not answering (no answer before the deadline); libvirtd active"},
		// the root-cause rule: no answer from the API nor from a command is
		// not a dead daemon
		{"down, exec failed", down, unitFacts{err: errors.New("probes: exec: broken pipe"), known: true, fresh: true},
			UNKNOWN, summaryLinkInDoubt},
		{"down, libvirt error", hvFacts{err: libvirt.Error{Code: 38, Message: "Failed to connect socket"}},
			unitFacts{states: active, known: true, fresh: true},
			CRIT, "hypervisor not running: libvirt API not answering (Failed to connect socket); libvirtd active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hypervisorResult(h, tt.hv, tt.u, testTime)
			if r.Status != tt.want || r.Summary != tt.sum || r.Check != "hypervisor" || r.Host != "hv1" {
				t.Errorf("got %v %q, want %v %q", r.Status, r.Summary, tt.want, tt.sum)
			}
			if (tt.hv.err != nil) != (r.Err != "") && tt.u.err == nil {
				t.Errorf("Err = %q", r.Err)
			}
		})
	}
}

func TestKVMResult(t *testing.T) {
	h := testHost("hv1")
	tests := []struct {
		name string
		f    remote.KVMFacts
		err  error
		want Status
		sum  string
	}{
		{"ok", remote.KVMFacts{DevPresent: true, DevRW: true, Modules: []string{"kvm_intel", "kvm"}}, nil, OK, "/dev/kvm rw, kvm_intel, kvm loaded"},
		{"no dev", remote.KVMFacts{DevPresent: false, DevRW: false, Modules: []string{"kvm"}}, nil, CRIT, "no /dev/kvm"},
		{"denied", remote.KVMFacts{DevPresent: true, DevRW: false, Modules: []string{"kvm_amd"}}, nil, CRIT, "/dev/kvm not accessible (rw denied)"},
		{"no module", remote.KVMFacts{DevPresent: true, DevRW: true, Modules: nil}, nil, CRIT, "no kvm module loaded"},
		{"nothing", remote.KVMFacts{}, nil, CRIT, "no /dev/kvm; no kvm module loaded"},
		{"garbage", remote.KVMFacts{}, fmt.Errorf("%w: kvm facts: 0 lines", remote.ErrUnparseable), UNKNOWN,
			"kvm facts unavailable: unparseable output: kvm facts: 0 lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := kvmResult(h, tt.f, tt.err, 0, testTime)
			if r.Status != tt.want || r.Summary != tt.sum {
				t.Errorf("got %v %q, want %v %q", r.Status, r.Summary, tt.want, tt.sum)
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("probes: libvirt x: %w", errCallTimeout), "no answer before the deadline"},
		{fmt.Errorf("probes: libvirt x: %w", errLibvirtClosed), "connection closed"},
		{fmt.Errorf("probes: libvirt x: %w", libvirt.ErrInterrupted), "connection lost during the call"},
		{fmt.Errorf("probes: libvirt x: %w", libvirt.Error{Message: "no driver"}), "no driver"},
		{fmt.Errorf("probes: dial libvirt socket /s: %w", errors.New("open failed")), "dial libvirt socket /s: open failed"},
	}
	for _, tt := range tests {
		if got := reason(tt.err); got != tt.want {
			t.Errorf("reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestDefaultClassify(t *testing.T) {
	st, sum := defaultClassify(fmt.Errorf("probes: dial: %w", errors.New("connection refused")))
	if st != CRIT || sum != "unreachable: connection refused" {
		t.Errorf("got %v %q", st, sum)
	}
}

// A host that signs only with SHA-1 is a host key refusal, not "unreachable".
func TestClassifyConnectWeakSignature(t *testing.T) {
	err := &sshx.DialError{Host: "kvm-01", Hop: "kvm-01", Address: "10.0.0.1:22",
		Err: fmt.Errorf("%w: %w", sshx.ErrHostKey, sshx.ErrWeakHostKeySignature)}
	st, sum := (*SSHTransport).ClassifyConnect(nil, err)
	if st != CRIT || !strings.HasPrefix(sum, "host key refused: ") || !strings.Contains(sum, "SHA-1") {
		t.Errorf("got %v %q", st, sum)
	}
}
