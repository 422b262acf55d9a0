package probes

import (
	"strings"
	"testing"
	"time"

	"github.com/hvconsole/hvconsole/hosts"
	"github.com/hvconsole/hvconsole/hosts/remote"
)

// labBackupHost is the spare lab host the backup tests write files on
// (its /srv is its own).
const labBackupHost = 21

// The backups check against a real host, through the scheduler's round:
// real files, real stat, real sha256sum.
func TestLabBackups(t *testing.T) {
	l, s, hs := labFleet(t, labBackupHost)
	h := hs[0]
	h.Checks = []string{hosts.CheckSSH, hosts.CheckBackups}
	h.Backups = []hosts.Backup{{Name: "nightly", Path: "/srv/hvtest/*.qcow2", MaxAge: 26 * time.Hour,
		MinSize: 1 << 20, Verify: remote.VerifySHA256}}
	const dir = "/srv/hvtest"
	fresh := "rm -rf " + dir + " && mkdir -p " + dir + " && cd " + dir +
		" && head -c 2097152 /dev/urandom > vm.qcow2 && sha256sum vm.qcow2 > vm.qcow2.sha256"
	tests := []struct {
		name   string
		setup  string
		want   Status
		reason string
	}{
		{"fresh backup", fresh, OK, ""},
		{"old mtime", fresh + " && touch -d '3 days ago' vm.qcow2", CRIT, "old"},
		{"truncated", fresh + " && truncate -s 1000 vm.qcow2", CRIT, ""},
		{"sha256 mismatch", fresh + " && echo 0000000000000000000000000000000000000000000000000000000000000000 > vm.qcow2.sha256", CRIT, ""},
		{"missing sidecar", fresh + " && rm vm.qcow2.sha256", CRIT, "sidecar"},
		{"no backup at all", "rm -rf " + dir, CRIT, ""}, // last: leaves the host clean
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l.Exec(t, labBackupHost, "sh", "-c", tc.setup)
			s.RefreshBackups(h.Name) // the next round reads backups again
			rep := s.Round(t.Context(), []hosts.Host{h})[0]
			b, ok := rep.Check(hosts.CheckBackups)
			if !ok || b.Status != tc.want || !strings.Contains(b.Summary+b.Details, tc.reason) {
				t.Fatalf("backups = %v %q\n%s\nwant %v mentioning %q", b.Status, b.Summary, b.Details, tc.want, tc.reason)
			}
		})
	}
}
