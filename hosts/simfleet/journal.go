package simfleet

import (
	"strconv"
	"strings"
	"time"
)

// A host's simulated journal for its daemon unit: a small ring of entries
// formatted on demand like `journalctl -u libvirtd --no-pager` (short format).

// journalCap bounds the entries kept per host (memory at 1,000 hosts).
const journalCap = 40

// journalEntry is one line; ident is "systemd" (pid 1) or the daemon.
type journalEntry struct {
	t     time.Time
	ident string
	pid   int
	msg   string
}

// journal is a fixed-capacity ring of entries, oldest first once full.
type journal struct {
	entries []journalEntry
	next    int
}

func (j *journal) add(e journalEntry) {
	if len(j.entries) < journalCap {
		j.entries = append(j.entries, e)
		return
	}
	j.entries[j.next] = e
	j.next = (j.next + 1) % journalCap
}

// last returns the newest n entries in time order.
func (j *journal) last(n int) []journalEntry {
	ordered := append(append([]journalEntry(nil), j.entries[j.next:]...), j.entries[:j.next]...)
	if n < len(ordered) {
		ordered = ordered[len(ordered)-n:]
	}
	return ordered
}

// format renders entries as journalctl's short format on host.
func formatJournal(host string, entries []journalEntry) string {
	if len(entries) == 0 {
		return "-- No entries --\n"
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.t.Format(time.Stamp))
		b.WriteByte(' ')
		b.WriteString(host)
		b.WriteByte(' ')
		b.WriteString(e.ident)
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(e.pid))
		b.WriteString("]: ")
		b.WriteString(e.msg)
		b.WriteByte('\n')
	}
	return b.String()
}

// Journal messages, as systemd and libvirtd write them.
const (
	unitDesc        = "libvirtd.service - libvirt legacy monolithic daemon"
	msgStarting     = "Starting " + unitDesc + "..."
	msgStarted      = "Started " + unitDesc + "."
	msgStopping     = "Stopping " + unitDesc + "..."
	msgStopped      = "Stopped " + unitDesc + "."
	msgKilled       = "libvirtd.service: Main process exited, code=killed, status=9/KILL"
	msgFailed       = "libvirtd.service: Failed with result 'signal'."
	msgVersionStart = "libvirt version: "
)

// journalStart logs a daemon start at t.
func (w *world) journalStart(j *journal, t time.Time) {
	j.add(journalEntry{t, "systemd", 1, msgStarting})
	j.add(journalEntry{t, "libvirtd", w.pid, msgVersionStart + versionString(w.libVersion) + ", package: " +
		versionString(w.libVersion) + "-4+deb12u1 (Debian)"})
	j.add(journalEntry{t, "systemd", 1, msgStarted})
}

// journalStop logs a clean stop (crash false) or a SIGKILL (crash true).
func (w *world) journalStop(j *journal, t time.Time, crash bool) {
	if crash {
		j.add(journalEntry{t, "systemd", 1, msgKilled})
		j.add(journalEntry{t, "systemd", 1, msgFailed})
		return
	}
	j.add(journalEntry{t, "systemd", 1, msgStopping})
	j.add(journalEntry{t, "systemd", 1, msgStopped})
}

// journalVMCrash logs a QEMU process dying under the daemon.
func (w *world) journalVMCrash(j *journal, t time.Time, vm string) {
	j.add(journalEntry{t, "libvirtd", w.pid,
		"internal error: End of file from qemu monitor (vm='" + vm + "')"})
	j.add(journalEntry{t, "libvirtd", w.pid,
		"internal error: process exited while connecting to monitor: QEMU process for domain '" + vm + "' exited unexpectedly"})
}
