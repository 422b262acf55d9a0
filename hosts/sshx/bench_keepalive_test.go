package sshx

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts/labtest"
)

// BenchmarkTCPKeepaliveKernelCost weighs what the kernel's TCP keepalive
// costs the machine, which no process is charged for: HVBENCH_KEEPALIVE_CONNS
// idle loopback connections dialed by tcpDialer(1s) (a probe and its
// answer per connection per second), with SO_KEEPALIVE switched on and off
// for alternate 10 s windows, the whole machine's busy and softirq time
// read from /proc/stat in each. Other work on the machine shows in both
// halves alike; the difference is the keepalive's. Without the variable it
// is skipped. Both ends are on this machine, so the figure counts the
// probe's sending and its answering.
func BenchmarkTCPKeepaliveKernelCost(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("HVBENCH_KEEPALIVE_CONNS"))
	if n <= 0 {
		b.Skip("HVBENCH_KEEPALIVE_CONNS is not set")
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, n)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := tcpDialer(time.Second)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range n {
		c, err := dial(b.Context(), "tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c, <-accepted)
	}
	keepalive := func(on bool) {
		v := 0
		if on {
			v = 1
		}
		for i := 0; i < len(conns); i += 2 { // the dialed ends
			raw, _ := conns[i].(*net.TCPConn).SyscallConn()
			_ = raw.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, v) })
		}
	}
	const window, rounds = 10 * time.Second, 3
	var sum [2]labtest.MachineTimes // [off, on]
	for b.Loop() {
		for r := range 2 * rounds {
			on := r%2 == 0
			keepalive(on)
			time.Sleep(2 * time.Second) // the first probes start after 1 s idle
			m0 := labtest.ReadMachineTimes()
			time.Sleep(window)
			d := labtest.ReadMachineTimes().Sub(m0)
			i := 0
			if on {
				i = 1
			}
			sum[i].Busy += d.Busy
			sum[i].Softirq += d.Softirq
			sum[i].KeepaliveProbes += d.KeepaliveProbes
		}
	}
	share := func(d time.Duration) float64 { return 100 * float64(d) / float64(rounds*window) }
	b.ReportMetric(float64(n), "conns")
	b.ReportMetric(share(sum[1].Busy), "machine-on-%")
	b.ReportMetric(share(sum[0].Busy), "machine-off-%")
	b.ReportMetric(share(sum[1].Softirq), "softirq-on-%")
	b.ReportMetric(share(sum[0].Softirq), "softirq-off-%")
	b.ReportMetric(float64(sum[1].KeepaliveProbes)/(rounds*window.Seconds()), "probes/s-on")
	b.ReportMetric(float64(sum[0].KeepaliveProbes)/(rounds*window.Seconds()), "probes/s-off")
	// per probe and its answer: the softirq difference (the machine's busy
	// time moves with other users' work far more than by this)
	if d := sum[1].KeepaliveProbes - sum[0].KeepaliveProbes; d > 0 {
		b.ReportMetric(float64((sum[1].Softirq-sum[0].Softirq).Nanoseconds())/1000/float64(d), "softirq-µs/probe")
	}
}
