package hosts

import (
	"strings"
	"testing"
	"time"
)

func TestDrillBootKeys(t *testing.T) {
	const spec = `[[hosts]]
name = "a"
address = "a.example"
[[hosts.backups]]
name = "img"
path = "/srv/*.qcow2"
max_age = "26h"
drill = "boot"
`
	cfg := mustLoad(t, spec+"drill_boot_timeout = \"3m\"\ndrill_boot_memory_mib = 2048\n", hermetic())
	b := hostByName(t, cfg, "a").Backups[0]
	if b.BootTimeout() != 3*time.Minute || b.BootMemoryMiB() != 2048 {
		t.Errorf("timeout %v memory %d, want 3m and 2048", b.BootTimeout(), b.BootMemoryMiB())
	}
	b = hostByName(t, mustLoad(t, spec, hermetic()), "a").Backups[0]
	if b.BootTimeout() != DefaultDrillBootTimeout || b.BootMemoryMiB() != DefaultDrillBootMemoryMiB {
		t.Errorf("defaults: timeout %v memory %d", b.BootTimeout(), b.BootMemoryMiB())
	}
	for extra, want := range map[string]string{
		"drill_boot_timeout = \"3h\"\n":     "hosts[0].backups[0].drill_boot_timeout",
		"drill_boot_timeout = \"soon\"\n":   "hosts[0].backups[0].drill_boot_timeout",
		"drill_boot_memory_mib = 16\n":      "drill_boot_memory_mib 16 out of range",
		"drill_boot_memory_mib = 2000000\n": "drill_boot_memory_mib 2000000 out of range",
	} {
		_, err := LoadWith(writeConfig(t, spec+extra), hermetic())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", extra, err, want)
		}
	}
}
