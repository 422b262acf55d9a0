package probes

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

const (
	gib           = uint64(1) << 30
	kibPerGiB     = uint64(1) << 20
	imagesPath    = "/var/lib/libvirt/images"
	dfHeader      = "Filesystem 1-blocks Used Available Capacity Mounted on\n"
	loadQuiet     = "2.40 1.00 0.50 2/300 1234\n"
	memInfoSample = "MemTotal:       104857600 kB\nMemFree:         1048576 kB\nMemAvailable:   52428800 kB\nBuffers:          1024 kB\n"
)

// resourcesHost is a host with the built-in thresholds of hosts.Load.
func resourcesHost() hosts.Host {
	return hosts.Host{Name: "hv1", Hypervisor: hosts.KindLibvirt, ImagePaths: []string{imagesPath},
		MemFreeWarn: 10, MemFreeCrit: 5, DiskUseWarn: 85, DiskUseCrit: 95, LoadPerCPUWarn: 2}
}

// quietNode is a 100 GiB, 8-CPU host with 62 GiB available and two running
// VMs of 2 and 4 GiB.
func quietNode() *fakeNode {
	return &fakeNode{model: "x86_64", memKiB: 100 * kibPerGiB, cpus: 8,
		memStats: map[string]uint64{"total": 100 * kibPerGiB, "free": 40 * kibPerGiB,
			"buffers": 10 * kibPerGiB, "cached": 12 * kibPerGiB},
		running: []fakeRunning{{name: "web", maxKiB: 2 * kibPerGiB}, {name: "db", maxKiB: 4 * kibPerGiB}},
	}
}

func dfCommand(t *testing.T, paths ...string) string {
	t.Helper()
	cmd, err := remote.DiskUsageCommand(paths)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// quietShell answers load 0.3 per CPU and the images disk 41% full.
func quietShell(t *testing.T) *fakeShell {
	return &fakeShell{answers: map[string]fakeAnswer{
		remote.HostLoadCommand:   {out: loadQuiet},
		remote.MemInfoCommand:    {out: memInfoSample},
		dfCommand(t, imagesPath): {out: dfHeader + "/dev/vda 1000 410 590 41% /\n"},
	}}
}

func TestResourcesCheckThresholds(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		mod     func(h *hosts.Host, n *fakeNode, s *fakeShell)
		st      Status
		summary string
		detail  string
	}{
		{"all quiet", func(*hosts.Host, *fakeNode, *fakeShell) {}, OK,
			"mem 62% free, disk 41% (/var/lib/libvirt/images), load 0.3/cpu",
			"committed: 6.0 GiB to 2 running VMs (6% of host memory)"},
		{"memory below warn", func(_ *hosts.Host, n *fakeNode, _ *fakeShell) {
			n.memStats = map[string]uint64{"total": 100 * kibPerGiB, "free": 8 * kibPerGiB}
		}, WARN, "memory low: 8% free (warn below 10%) | mem 8% free", "8.0 GiB free of 100.0 GiB"},
		{"memory below crit", func(_ *hosts.Host, n *fakeNode, _ *fakeShell) {
			n.memStats = map[string]uint64{"total": 100 * kibPerGiB, "free": 3 * kibPerGiB, "cached": kibPerGiB}
		}, CRIT, "memory low: 4% free (crit below 5%)", "from libvirt node memory stats"},
		{"memory exactly at warn is fine", func(_ *hosts.Host, n *fakeNode, _ *fakeShell) {
			n.memStats = map[string]uint64{"total": 100 * kibPerGiB, "free": 10 * kibPerGiB}
		}, OK, "mem 10% free", ""},
		{"custom memory thresholds", func(h *hosts.Host, _ *fakeNode, _ *fakeShell) {
			h.MemFreeWarn, h.MemFreeCrit = 80, 70
		}, CRIT, "memory low: 62% free (crit below 70%)", ""},
		{"disk above warn", func(_ *hosts.Host, _ *fakeNode, s *fakeShell) {
			s.answers[dfCommand(t, imagesPath)] = fakeAnswer{out: dfHeader + "/dev/vda 1000 860 140 86% /\n"}
		}, WARN, "disk /var/lib/libvirt/images 86% full (warn above 85%)", "disk /var/lib/libvirt/images: 86% used"},
		{"disk above crit", func(_ *hosts.Host, _ *fakeNode, s *fakeShell) {
			s.answers[dfCommand(t, imagesPath)] = fakeAnswer{out: dfHeader + "/dev/vda 1000 951 49 96% /\n"}
		}, CRIT, "disk /var/lib/libvirt/images 96% full (crit above 95%)", "on /dev/vda (/)"},
		{"disk threshold set low", func(h *hosts.Host, _ *fakeNode, _ *fakeShell) {
			h.DiskUseWarn = 1
		}, WARN, "disk /var/lib/libvirt/images 41% full (warn above 1%)", ""},
		{"fullest of two disks in the summary", func(h *hosts.Host, _ *fakeNode, s *fakeShell) {
			h.ImagePaths = []string{imagesPath, "/srv/images"}
			s.answers[dfCommand(t, imagesPath, "/srv/images")] = fakeAnswer{
				out: dfHeader + "/dev/vda 1000 410 590 41% /\n/dev/vdb 1000 900 100 90% /srv\n"}
		}, WARN, "disk /srv/images 90% full (warn above 85%) | mem 62% free, disk 90% (/srv/images)", "disk /srv/images: 90% used"},
		{"a missing image path", func(h *hosts.Host, _ *fakeNode, s *fakeShell) {
			h.ImagePaths = []string{imagesPath, "/gone"}
			s.answers[dfCommand(t, imagesPath, "/gone")] = fakeAnswer{out: dfHeader + "/dev/vda 1000 410 590 41% /\n", exit: 1}
		}, UNKNOWN, "disk use unknown: an image path could not be measured", "disk /: 41% used"},
		{"a missing path on a full disk is still CRIT", func(h *hosts.Host, _ *fakeNode, s *fakeShell) {
			h.ImagePaths = []string{imagesPath, "/gone"}
			s.answers[dfCommand(t, imagesPath, "/gone")] = fakeAnswer{out: dfHeader + "/dev/vda 1000 990 10 99% /\n", exit: 1}
		}, CRIT, "disk / 99% full", ""},
		{"no image paths", func(h *hosts.Host, _ *fakeNode, _ *fakeShell) { h.ImagePaths = nil }, OK,
			"mem 62% free, load 0.3/cpu", "disk: no image paths configured"},
		{"load above warn", func(_ *hosts.Host, _ *fakeNode, s *fakeShell) {
			s.answers[remote.HostLoadCommand] = fakeAnswer{out: "17.00 9.00 4.00 20/300 999\n"}
		}, WARN, "load high: 2.12/cpu (warn above 2)", "load: 17 9 4 (1, 5, 15 min; 2.12 per CPU over 1 min)"},
		{"custom load threshold", func(h *hosts.Host, _ *fakeNode, _ *fakeShell) { h.LoadPerCPUWarn = 0.25 }, WARN,
			"load high: 0.3/cpu (warn above 0.25)", ""},
		{"overcommitted", func(_ *hosts.Host, n *fakeNode, _ *fakeShell) {
			n.running = append(n.running, fakeRunning{name: "big", maxKiB: 120 * kibPerGiB})
		}, WARN, "memory overcommitted: running VMs may use 126% of host memory", "committed: 126.0 GiB to 3 running VMs"},
		{"a domain gone meanwhile is skipped", func(_ *hosts.Host, n *fakeNode, _ *fakeShell) {
			n.running = append(n.running, fakeRunning{name: "gone", maxKiB: 500 * kibPerGiB, gone: true})
		}, OK, "", "committed: 6.0 GiB to 2 running VMs"},
		{"memory from /proc/meminfo without driver support", func(_ *hosts.Host, n *fakeNode, _ *fakeShell) {
			n.memStats = nil
		}, OK, "mem 50% free", "memory: 50.0 GiB free of 100.0 GiB (50%, from /proc/meminfo)"},
		{"garbage load", func(_ *hosts.Host, _ *fakeNode, s *fakeShell) {
			s.answers[remote.HostLoadCommand] = fakeAnswer{out: "\x1b[31mnope\n"}
		}, UNKNOWN, "load unknown: unparseable output: loadavg", "load: unparseable output"},
		{"garbage df", func(_ *hosts.Host, _ *fakeNode, s *fakeShell) {
			s.answers[dfCommand(t, imagesPath)] = fakeAnswer{out: "hello\n"}
		}, UNKNOWN, "disk use unknown: unparseable output: df: no header", ""},
		{"garbage meminfo", func(_ *hosts.Host, n *fakeNode, s *fakeShell) {
			n.memStats = nil
			s.answers[remote.MemInfoCommand] = fakeAnswer{out: "MemTotal: lots\n"}
		}, UNKNOWN, "memory unknown: unparseable output: meminfo", "committed: 6.0 GiB to 2 running VMs (6% of host memory)"},
		{"domain list fails", func(_ *hosts.Host, n *fakeNode, _ *fakeShell) {
			n.listErr = errors.New("boom")
		}, OK, "", "committed: unknown (libvirt running domains: boom)"},
		{"exec fails", func(_ *hosts.Host, _ *fakeNode, s *fakeShell) {
			s.err = errors.New("session refused")
		}, UNKNOWN, "load unknown: exec: session refused", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, n, s := resourcesHost(), quietNode(), quietShell(t)
			tc.mod(&h, n, s)
			res, figs := resourcesCheck(t.Context(), apiSession(t, n.stub()), s.exec, h, at)
			if res.Status != tc.st || !strings.Contains(res.Summary, tc.summary) || !strings.Contains(res.Details, tc.detail) {
				t.Errorf("got %v %q\ndetails:\n%s\nwant %v %q, details with %q", res.Status, res.Summary, res.Details, tc.st, tc.summary, tc.detail)
			}
			if res.Check != hosts.CheckResources || res.Host != "hv1" || !res.Time.Equal(at) || figs == nil {
				t.Errorf("result %+v, figures %+v", res, figs)
			}
			if len(s.scripts) != 1 {
				t.Errorf("%d execs, want one batch", len(s.scripts))
			}
		})
	}
}

// The figures for the UI are the numbers the check rated.
func TestResourcesCheckFigures(t *testing.T) {
	n, s := quietNode(), quietShell(t)
	_, got := resourcesCheck(t.Context(), apiSession(t, n.stub()), s.exec, resourcesHost(), time.Now())
	want := &Resources{MemTotal: 100 * gib, MemFree: 62 * gib, MemCommitted: 6 * gib, CPUs: 8, Model: "x86_64",
		Load1: 2.4, Disks: []remote.DiskUse{{Path: imagesPath, Mount: "/", Filesystem: "/dev/vda", Total: 1000, Used: 410, Avail: 590, UsedPct: 41}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
	if s.ran(remote.MemInfoCommand) {
		t.Error("/proc/meminfo read although libvirt gave the memory figures")
	}
}

// Libvirt not answering: UNKNOWN, no figures, and no exec either.
func TestResourcesCheckLibvirtDown(t *testing.T) {
	n, s := quietNode(), quietShell(t)
	n.nodeErr = errLibvirtClosed
	res, figs := resourcesCheck(t.Context(), apiSession(t, n.stub()), s.exec, resourcesHost(), time.Now())
	if res.Status != UNKNOWN || res.Summary != "host resources unavailable: connection closed" || figs != nil {
		t.Errorf("got %v %q, figures %+v", res.Status, res.Summary, figs)
	}
	if len(s.scripts) != 0 {
		t.Errorf("ran %q with libvirt down", s.scripts)
	}
}

// A frozen daemon: the check ends at the caller's deadline through call,
// and the session's call goroutine exits once the daemon lets go.
func TestResourcesCheckDeadline(t *testing.T) {
	n, s := quietNode(), quietShell(t)
	n.release = make(chan struct{})
	sess := apiSession(t, n.stub())
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	res, _ := resourcesCheck(ctx, sess, s.exec, resourcesHost(), time.Now())
	close(n.release)
	if res.Status != UNKNOWN || !strings.Contains(res.Summary, "no answer before the deadline") {
		t.Errorf("got %v %q", res.Status, res.Summary)
	}
	if sess.alive() {
		t.Error("session still alive after a call outlived its deadline")
	}
}

func TestResourcesCleansRemoteText(t *testing.T) {
	n, s := quietNode(), quietShell(t)
	n.model = "x86\x1b[2J_64"
	s.answers[dfCommand(t, imagesPath)] = fakeAnswer{out: dfHeader + "/dev/\x1b]0;pwn\x07vda 1000 410 590 41% /mnt\u202e\n"}
	res, figs := resourcesCheck(t.Context(), apiSession(t, n.stub()), s.exec, resourcesHost(), time.Now())
	if strings.ContainsAny(res.Details+res.Summary, "\x1b\x07\u202e") || figs.Model != "x86_64" {
		t.Errorf("control characters kept: %q / %q", res.Details, figs.Model)
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {62 * gib, "62.0 GiB"}, {3 << 40, "3.0 TiB"}, {^uint64(0), "16.0 EiB"}} {
		if got := FormatBytes(tc.n); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
