package ack

import (
	"testing"
	"time"
)

func TestLeftTextAndNextChange(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		left time.Duration
		text string
		next time.Duration
	}{
		{2 * time.Hour, "2h00m", time.Minute},
		{time.Hour + 52*time.Minute + 30*time.Second, "1h52m", 30 * time.Second},
		{7*time.Minute + time.Second, "7m", time.Second},
		{40 * time.Second, "40s", time.Second},
		{1500 * time.Millisecond, "2s", 500 * time.Millisecond},
		{0, "0s", 0},
	}
	for _, tt := range tests {
		a := Ack{Host: "kvm-01", Owner: "alice", Note: "disk full", Made: t0, Expires: t0.Add(tt.left)}
		if got := LeftText(a.Left(t0)); got != tt.text {
			t.Errorf("%v left: %q, want %q", tt.left, got, tt.text)
		}
		if got := a.NextChange(t0); got != tt.next {
			t.Errorf("%v left: next change in %v, want %v", tt.left, got, tt.next)
		}
	}
}

// The full form is the one the issue shows; a control character in the
// note is cleaned away.
func TestFull(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	a := New("kvm-01", "alice", "on it,\x1b[31m disk full", t0, 2*time.Hour)
	if got, want := a.Full(t0.Add(8*time.Minute)), `ACK alice 1h52m left: "on it,[31m disk full"`; got != want {
		t.Errorf("Full = %q, want %q", got, want)
	}
	if got, want := New("kvm-01", "alice", "", t0, time.Hour).Full(t0), "ACK alice 1h00m left"; got != want {
		t.Errorf("Full without a note = %q, want %q", got, want)
	}
}
