package labtest

import (
	"testing"
	"time"
)

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

func TestStatCPU(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
	}{
		{"plain", "42 (hvconsole) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 13 0", 300 * clockTick},
		{"a name with ') '", "42 (a) b c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 13 0", 300 * clockTick},
		{"short", "42 (x) S 1", 0},
		{"no name", "garbage", 0},
	}
	for _, tt := range tests {
		if got := statCPU(tt.stat); got != tt.want {
			t.Errorf("%s: statCPU = %s, want %s", tt.name, got, tt.want)
		}
	}
}
