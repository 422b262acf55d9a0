package labtest

import "testing"

// The counters read on this (Linux) machine, and only grow.
func TestReadMachineTimes(t *testing.T) {
	a := ReadMachineTimes()
	if a.Busy <= 0 || a.Softirq < 0 || a.Softirq > a.Busy || a.KeepaliveProbes < 0 {
		t.Fatalf("ReadMachineTimes = %+v", a)
	}
	if d := ReadMachineTimes().Sub(a); d.Busy < 0 || d.Softirq < 0 || d.KeepaliveProbes < 0 {
		t.Errorf("counters went back: %+v", d)
	}
	if ProcessCPU("self") < 0 || ProcessCPU("no-such-pid") != 0 {
		t.Errorf("ProcessCPU: self %s, a missing pid %s", ProcessCPU("self"), ProcessCPU("no-such-pid"))
	}
}
