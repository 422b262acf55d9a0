package probes

import (
	"runtime"
	"testing"
)

// A reply that declares more data than it carries must cost the console no
// more memory than the bytes received: the host turns UNKNOWN "malformed
// libvirt reply" and the healthy host beside it is untouched. Before the
// replies were validated, the domain count below ended the whole process
// with "fatal error: out of memory" and each long string cost 2 GiB.
func TestHostileLibvirtReply(t *testing.T) {
	const huge = 0x7fffffff
	tests := []struct {
		name  string
		proc  uint32
		reply wireReply
	}{
		// 32 bytes on the wire: length, header and a count of 2^31-1 domains.
		{"domain count", wireConnectListAllDomains, wireReply{body: xdrU32(nil, huge)}},
		{"network count", wireConnectListNetworks, wireReply{body: xdrU32(nil, huge)}},
		{"2 GiB type string", wireConnectGetType, wireReply{body: xdrU32(nil, huge-3)}},
		{"short version reply", wireConnectGetLibVersion, wireReply{body: xdrU32(nil, 0)}},
		{"2 GiB error message", wireConnectGetVersion,
			wireReply{status: 1, body: xdrU32(xdrU32(xdrU32(xdrU32(nil, 1), 10), 1), huge-3)}},
		{"2 GiB auth list", wireAuthList, wireReply{body: xdrU32(nil, huge)}},
		{"domain stats count", wireConnectGetAllDomStats, wireReply{body: xdrU32(nil, huge)}},
		{"domain stats parameter count", wireConnectGetAllDomStats, wireReply{body: xdrU32(wireDomain(xdrU32(nil, 1), "web"), huge)}},
		{"typed parameter of no type", wireConnectGetAllDomStats,
			wireReply{body: xdrU32(xdrU32(xdrStr(xdrU32(wireDomain(xdrU32(nil, 1), "web"), 1), "state.state"), 9), 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := healthyWire()
			bad[tt.proc] = tt.reply
			hostile, healthy := healthyHost(), healthyHost()
			hostile.daemon, healthy.daemon = serveWire(bad), serveWire(healthyWire())
			cfg, _, s := fleet([]string{"hv1", "hv2"}, []*fakeHost{hostile, healthy}, SchedulerOptions{})
			s.open = openLibvirt // the production go-libvirt client
			defer s.Close()

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			reps := s.Round(t.Context(), cfg.Hosts)
			runtime.ReadMemStats(&after)

			if tt.proc == wireConnectListAllDomains || tt.proc == wireConnectListNetworks || tt.proc == wireConnectGetAllDomStats {
				wantCheck(t, reps[0], "hypervisor", OK, "libvirt 9.0.0") // answered before
			} else {
				wantCheck(t, reps[0], "hypervisor", UNKNOWN, "malformed libvirt reply")
			}
			wantCheck(t, reps[0], "vms", UNKNOWN, "malformed libvirt reply")
			if reps[0].Status != UNKNOWN {
				t.Errorf("hv1 = %v, want UNKNOWN", reps[0].Status)
			}
			wantCheck(t, reps[1], "hypervisor", OK, "libvirt 9.0.0, QEMU 8.2.0")
			wantCheck(t, reps[1], "vms", OK, "")
			// A round of two hosts allocates well under a MiB; a reply that
			// made the decoder trust its counts costs gigabytes.
			got := after.TotalAlloc - before.TotalAlloc
			if got > 8<<20 {
				t.Errorf("a round allocated %d bytes", got)
			}
			t.Logf("a round of both hosts allocated %d KiB", got>>10)
		})
	}
}
