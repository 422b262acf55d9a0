package probes

import (
	"testing"
	"time"
)

func TestFormatBackupAgeAndBytes(t *testing.T) {
	ages := map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 12*time.Minute + 30*time.Second: "12m", 26 * time.Hour: "26h",
		31*time.Hour + 20*time.Minute: "31h20m", 76 * time.Hour: "3d4h", 7 * 24 * time.Hour: "7d",
	}
	for d, want := range ages {
		if got := formatBackupAge(d); got != want {
			t.Errorf("formatBackupAge(%v) = %q, want %q", d, got, want)
		}
	}
	sizes := map[int64]string{
		0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 1 << 30: "1 GiB", 27 << 29: "13.5 GiB", 1<<62 + 1<<61: "6 EiB",
	}
	for n, want := range sizes {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
