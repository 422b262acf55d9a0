package probes

import (
	"strconv"
	"strings"
	"time"
)

// formatBackupAge prints an age the way operators read backup schedules:
// "45s", "12m", "26h", "31h20m", "3d4h".
func formatBackupAge(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d < time.Hour:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d < 3*day:
		return backupTwoUnits(int64(d/time.Hour), "h", int64(d%time.Hour/time.Minute), "m")
	}
	return backupTwoUnits(int64(d/day), "d", int64(d%day/time.Hour), "h")
}

func backupTwoUnits(a int64, ua string, b int64, ub string) string {
	s := strconv.FormatInt(a, 10) + ua
	if b != 0 {
		s += strconv.FormatInt(b, 10) + ub
	}
	return s
}

// formatBytes prints a size in binary units: "512 B", "1.5 KiB", "2 GiB".
func formatBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	return s + " " + units[i:i+1] + "iB"
}
